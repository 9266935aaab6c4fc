// Package transports lets the examples listen for and dial netmux sessions
// over every transport by name ("tcp", "tls", ...), so that a program's
// -transport flag picks one. Each transport is one listen/dial pair in its
// own file; adding one means adding that file and a line to registry.
package transports

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/netmux/netmux/core"
)

// Listener accepts netmux sessions: each is the server side of a session
// with one remote peer.
type Listener interface {
	// Accept waits for the next peer and returns its session.
	Accept() (*core.Session, error)
	// Close stops accepting; sessions already returned stay open.
	Close() error
	// Addr returns the address peers dial.
	Addr() net.Addr
}

// Options tune Listen and Dial. The zero value means defaults.
type Options struct {
	// Config is the session configuration; nil means core.DefaultConfig().
	Config *core.Config
	// Insecure makes a TLS client accept any server certificate.
	Insecure bool
	// Pin makes a TLS client accept only the server certificate whose
	// SHA-256 fingerprint (of its DER bytes) is this hex string.
	Pin string
	// CertFile and KeyFile make a TLS listener serve the certificate and
	// key in these PEM files, created (self-signed) if neither exists, so
	// that its pin stays the same across restarts. Empty: a new
	// certificate in memory at every start.
	CertFile, KeyFile string
}

// transport is one way to carry sessions.
type transport struct {
	name   string
	listen func(addr string, o Options) (Listener, error)
	dial   func(ctx context.Context, addr string, o Options) (*core.Session, error)
}

// registry lists the transports, simplest first.
func registry() []transport {
	return []transport{
		{"tcp", listenTCP, dialTCP},
		{"tls", listenTLS, dialTLS},
		{"gnet", listenGnet, dialGnet},
		{"kcp", listenKCP, dialKCP},
	}
}

// Names returns the names of the available transports, simplest first.
func Names() []string {
	var names []string
	for _, t := range registry() {
		names = append(names, t.name)
	}
	return names
}

// lookup finds the named transport and checks o up front, so that a bad
// configuration fails here rather than on the first accepted peer.
func lookup(name string, o Options) (transport, error) {
	reg := registry()
	i := slices.IndexFunc(reg, func(t transport) bool { return t.name == name })
	if i < 0 {
		return transport{}, fmt.Errorf("unknown transport %q (have %s)", name, strings.Join(Names(), ", "))
	}
	if o.Config != nil {
		if err := o.Config.Validate(); err != nil {
			return transport{}, err
		}
	}
	return reg[i], nil
}

// Listen listens on addr with the named transport.
func Listen(name, addr string, o Options) (Listener, error) {
	t, err := lookup(name, o)
	if err != nil {
		return nil, err
	}
	return t.listen(addr, o)
}

// Dial connects to addr with the named transport and returns the client
// side of a session. ctx bounds connecting (and any handshake), not the
// session.
func Dial(ctx context.Context, name, addr string, o Options) (*core.Session, error) {
	t, err := lookup(name, o)
	if err != nil {
		return nil, err
	}
	return t.dial(ctx, addr, o)
}
