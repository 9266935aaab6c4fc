package evloop

import (
	"context"
	"fmt"
	"net"

	"github.com/netmux/netmux/core"
)

// Client dials connections and runs each, as the client side of a session,
// on its own gnet event loops: all its sessions share Config.EventLoops
// goroutines and one background writer. The loops start with NewClient and stop with Close; there is
// no process-wide client. It is safe for concurrent use.
type Client struct {
	lp     *loops
	dialer net.Dialer
	stop   context.Context // done once Close starts: aborts dials under way
	cancel context.CancelFunc
}

// NewClient starts the event loops of a Client.
func NewClient(cfg *Config) (*Client, error) {
	set, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	lp, err := startLoops(set, core.RoleClient)
	if err != nil {
		return nil, err
	}
	c := &Client{lp: lp}
	c.stop, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// Dial connects to addr ("host:port", or "tcp://…", "tcp4://…",
// "tcp6://…", "unix:///path") and returns the client side of a session
// over the connection, running on the Client's event loops. ctx bounds the
// connection attempt; the session, once returned, does not depend on it.
// After Close, Dial fails with ErrClosed.
func (c *Client) Dial(ctx context.Context, addr string) (*core.Session, error) {
	network, address, err := splitAddr(addr)
	if err != nil {
		return nil, err
	}
	if !c.lp.enter() {
		return nil, ErrClosed
	}
	defer c.lp.leave()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(c.stop, cancel)()
	nc, err := c.dialer.DialContext(ctx, network, address)
	if err != nil {
		if c.stop.Err() != nil {
			return nil, ErrClosed
		}
		return nil, err
	}
	s, err := c.lp.enroll(nc, &loopDriver{handler: c.lp.handler})
	if err != nil {
		return nil, fmt.Errorf("evloop: dial %s: %w", addr, err)
	}
	return s, nil
}

// NumSessions returns the number of sessions whose connection is open.
func (c *Client) NumSessions() int { return c.lp.handler.live() }

// Close makes Dial fail from now on, aborts dials under way, closes every
// session of the Client (each sends GoAway and gets up to its WriteTimeout
// to flush), stops the event loops and returns once they have exited. It
// is idempotent.
func (c *Client) Close() error {
	c.cancel()
	return c.lp.close()
}
