package transports

import (
	"errors"
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
	// Cert and Key are -cert and -key: the files a TLS server keeps its
	// certificate and key in.
	Cert, Key string
}

// AddFlags registers -transport, -insecure, -pin, -cert and -key on fs and
// returns where their values land.
func AddFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	fs.StringVar(&f.Transport, "transport", "tcp", "transport: "+strings.Join(Names(), ", "))
	fs.BoolVar(&f.Insecure, "insecure", false, "tls client: accept any server certificate (testing only)")
	fs.StringVar(&f.Pin, "pin", "", "tls client: accept only the server certificate with this SHA-256 (printed by the server)")
	fs.StringVar(&f.Cert, "cert", "", "tls server: certificate file (PEM); created with -key, self-signed, if neither exists, so the pin survives restarts")
	fs.StringVar(&f.Key, "key", "", "tls server: private key file (PEM) for -cert")
	return f
}

// Validate checks the flags as a program should before it starts: a known
// transport, TLS flags only with -transport tls, a well-formed pin, -cert
// and -key together. Its errors are usage errors.
func (f *Flags) Validate() error {
	if _, err := lookup(f.Transport, Options{}); err != nil {
		return err
	}
	tlsFlags := f.Insecure || f.Pin != "" || f.Cert != "" || f.Key != ""
	switch {
	case tlsFlags && f.Transport != "tls":
		return errors.New("-insecure, -pin, -cert and -key apply to -transport tls only")
	case (f.Cert == "") != (f.Key == ""):
		return errors.New("-cert and -key go together")
	case f.Pin != "":
		if _, err := parsePin(f.Pin); err != nil {
			return err
		}
	}
	return nil
}

// Options returns the Options the flags describe, with session
// configuration cfg.
func (f *Flags) Options(cfg *core.Config) Options {
	return Options{Config: cfg, Insecure: f.Insecure, Pin: f.Pin, CertFile: f.Cert, KeyFile: f.Key}
}
