package transports

import (
	"context"
	"net"

	"github.com/netmux/netmux/core"
)

// connListener runs the server side of a session on every connection a
// net.Listener accepts; setup, if set, prepares each connection first (a TLS
// handshake).
type connListener struct {
	ln    net.Listener
	cfg   *core.Config
	setup func(net.Conn) (net.Conn, error)
}

// Accept implements Listener. A connection whose setup fails is closed and
// skipped; only the listener's own errors are returned.
func (l *connListener) Accept() (*core.Session, error) {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return nil, err
		}
		if l.setup != nil {
			if c, err = l.setup(c); err != nil {
				continue
			}
		}
		sess, err := core.Server(c, l.cfg)
		if err != nil {
			c.Close()
			return nil, err
		}
		return sess, nil
	}
}

// Close implements Listener.
func (l *connListener) Close() error { return l.ln.Close() }

// Addr implements Listener.
func (l *connListener) Addr() net.Addr { return l.ln.Addr() }

func listenTCP(addr string, o Options) (Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &connListener{ln: ln, cfg: o.Config}, nil
}

func dialTCP(ctx context.Context, addr string, o Options) (*core.Session, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return clientSession(c, o.Config)
}

// clientSession starts the client side of a session on c, closing c if that
// fails.
func clientSession(c net.Conn, cfg *core.Config) (*core.Session, error) {
	sess, err := core.Client(c, cfg)
	if err != nil {
		c.Close()
		return nil, err
	}
	return sess, nil
}
