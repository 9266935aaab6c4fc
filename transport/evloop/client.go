package evloop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/panjf2000/gnet/v2"

	"github.com/netmux/netmux/core"
)

// Client dials connections and runs each, as the client side of a session,
// on its own gnet event loops: many sessions share Config.EventLoops
// goroutines. The loops start with NewClient and stop with Close; there is
// no process-wide client. It is safe for concurrent use.
type Client struct {
	hub    *hub
	cli    *gnet.Client
	dialer net.Dialer
	stop   context.Context // done once Close starts: aborts dials under way
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	dials  sync.WaitGroup // Dial calls between the closed check and enrolment
	once   sync.Once
}

// NewClient starts the event loops of a Client.
func NewClient(cfg *Config) (*Client, error) {
	set, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	h := newHub(set, core.RoleClient)
	cli, err := gnet.NewClient(h, set.gnetOptions()...)
	if err != nil {
		return nil, err
	}
	if err := cli.Start(); err != nil {
		return nil, err
	}
	c := &Client{hub: h, cli: cli}
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
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	c.dials.Add(1)
	c.mu.Unlock()
	defer c.dials.Done()

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
	// gnet takes over a duplicate of the socket and closes nc; OnOpen, on
	// the event loop, makes the session before EnrollContext returns.
	d := &conn{hub: c.hub}
	if _, err := c.cli.EnrollContext(nc, d); err != nil {
		return nil, fmt.Errorf("evloop: dial %s: %w", addr, err)
	}
	if d.eng == nil {
		return nil, fmt.Errorf("evloop: dial %s: %w", addr, errNotRegistered)
	}
	return d.eng.Session(), nil
}

// errNotRegistered is Dial's error when gnet could not add the connection
// to an event loop.
var errNotRegistered = errors.New("event loop refused the connection")

// NumSessions returns the number of sessions whose connection is open.
func (c *Client) NumSessions() int { return c.hub.live() }

// Close makes Dial fail from now on, aborts dials under way, closes every
// session of the Client (each sends GoAway and gets up to its WriteTimeout
// to flush), stops the event loops and returns once they have exited. It
// is idempotent.
func (c *Client) Close() error {
	var err error
	c.once.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.cancel()
		c.dials.Wait()
		c.hub.shutdown()
		err = c.cli.Stop()
	})
	return err
}
