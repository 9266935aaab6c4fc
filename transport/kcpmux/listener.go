package kcpmux

import (
	"context"
	"net"

	"github.com/netmux/netmux/core"
)

// Listener accepts sessions over KCP: each connection a client dials is
// the server side of one session. It is safe for concurrent use.
type Listener struct {
	cl *ConnListener
}

// Listen listens for sessions on the UDP address addr ("host:port"; port 0
// picks one).
func Listen(addr string, cfg *Config) (*Listener, error) {
	cl, err := ListenConn(addr, cfg)
	if err != nil {
		return nil, err
	}
	return &Listener{cl: cl}, nil
}

// NewListener accepts sessions on the caller's packet connection, which it
// takes over: Close closes pc. On error pc is left open.
func NewListener(pc net.PacketConn, cfg *Config) (*Listener, error) {
	cl, err := NewConnListener(pc, cfg)
	if err != nil {
		return nil, err
	}
	return &Listener{cl: cl}, nil
}

// Accept waits for the next session.
func (l *Listener) Accept() (*core.Session, error) {
	return l.AcceptSession(context.Background())
}

// AcceptSession waits for the next session, until ctx is done or the
// listener is closed. Closing the session closes its KCP connection.
func (l *Listener) AcceptSession(ctx context.Context) (*core.Session, error) {
	c, err := l.cl.AcceptConn(ctx)
	if err != nil {
		return nil, err
	}
	s, err := core.Server(l.cl.st.conn(c), l.cl.st.Mux)
	if err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

// Addr returns the address of the UDP socket.
func (l *Listener) Addr() net.Addr { return l.cl.Addr() }

// Close closes the UDP socket that every accepted session shares, so they
// all end; sessions not yet accepted are discarded.
func (l *Listener) Close() error { return l.cl.Close() }
