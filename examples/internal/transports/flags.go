package transports

import (
	"flag"
	"strings"

	"github.com/netmux/netmux/core"
)

// Flags are the command-line flags that choose and configure a transport.
type Flags struct {
	// Transport is the transport's name (-transport).
	Transport string
	// Insecure is -insecure: a TLS client skips certificate verification.
	Insecure bool
	// Pin is -pin: a TLS client accepts only this certificate fingerprint.
	Pin string
}

// AddFlags registers -transport, -insecure and -pin on fs and returns where
// their values land.
func AddFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	fs.StringVar(&f.Transport, "transport", "tcp", "transport: "+strings.Join(Names(), ", "))
	fs.BoolVar(&f.Insecure, "insecure", false, "tls client: accept any server certificate (testing only)")
	fs.StringVar(&f.Pin, "pin", "", "tls client: accept only the server certificate with this SHA-256 (printed by the server)")
	return f
}

// Options returns the Options the flags describe, with session
// configuration cfg.
func (f *Flags) Options(cfg *core.Config) Options {
	return Options{Config: cfg, Insecure: f.Insecure, Pin: f.Pin}
}
