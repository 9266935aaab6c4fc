package tunnel

import (
	"cmp"
	"context"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/netmux/netmux/core"
)

// Defaults for the zero values of Client fields.
const (
	DefaultMinBackoff  = 100 * time.Millisecond
	DefaultMaxBackoff  = 10 * time.Second
	DefaultDialTimeout = 10 * time.Second
)

// Client is the private side of the tunnel: it keeps a session to the
// Server and joins each stream the Server opens to a new TCP connection to
// Local. Set the fields, then call Run once.
type Client struct {
	// Dial connects to the tunnel server and returns the client side of a
	// session. ctx bounds the connection attempt.
	Dial func(ctx context.Context) (*core.Session, error)
	// Local is the TCP address of the service to expose.
	Local string
	// Logger receives connection events and errors; nil means
	// slog.Default().
	Logger *slog.Logger
	// MinBackoff and MaxBackoff bound the delay before reconnecting after
	// the tunnel fails or drops (0 means DefaultMinBackoff and
	// DefaultMaxBackoff).
	MinBackoff, MaxBackoff time.Duration
	// DialTimeout bounds each attempt to reach the tunnel server or the
	// local service (0 means DefaultDialTimeout).
	DialTimeout time.Duration
	// DrainTimeout bounds the graceful shutdown once Run's context ends
	// (0 means DefaultDrainTimeout).
	DrainTimeout time.Duration
}

// stableAfter is how long a session must last for the next reconnection to
// start again from MinBackoff.
const stableAfter = 5 * time.Second

// Run keeps the tunnel up until ctx ends: it dials the server, serves the
// streams it opens, and when the session fails or ends, dials again after a
// backoff. When ctx ends it shuts the session down gracefully (open
// connections may finish for up to DrainTimeout) and returns nil once every
// connection it started is closed.
func (c *Client) Run(ctx context.Context) error {
	log := c.logger()
	b := backoff{min: cmp.Or(c.MinBackoff, DefaultMinBackoff), max: cmp.Or(c.MaxBackoff, DefaultMaxBackoff)}
	for {
		dctx, cancel := context.WithTimeout(ctx, cmp.Or(c.DialTimeout, DefaultDialTimeout))
		sess, err := c.Dial(dctx)
		cancel()
		if err == nil {
			log.Info("tunnel connected", "server", sess.RemoteAddr())
			start := time.Now()
			c.serve(ctx, sess)
			if ctx.Err() != nil {
				return nil
			}
			err = sess.Err()
			if time.Since(start) >= stableAfter {
				b.reset()
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		wait := b.next()
		if endedNormally(err) {
			log.Info("tunnel closed by the server, reconnecting", "in", wait.Round(time.Millisecond))
		} else {
			log.Warn("tunnel down, reconnecting", "err", err, "in", wait.Round(time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil
		}
	}
}

// serve handles the streams of one session until it ends, or until ctx
// ends and the session has been shut down; it returns once every stream's
// connection is closed.
func (c *Client) serve(ctx context.Context, sess *core.Session) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			st, err := sess.AcceptStream(context.Background())
			if err != nil {
				return // the session ended
			}
			wg.Go(func() { c.handle(st) })
		}
	})
	select {
	case <-sess.Done():
	case <-ctx.Done():
		drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), cmp.Or(c.DrainTimeout, DefaultDrainTimeout))
		if err := sess.Shutdown(drain); err != nil {
			c.logger().Warn("tunnel client: drain cut short", "open", sess.NumStreams(), "err", err)
		}
		cancel()
	}
	wg.Wait()
}

// handle joins one stream to a new connection to the local service. The
// dial is not cut short by shutdown: a stream accepted before it is served.
func (c *Client) handle(st *core.Stream) {
	log := c.logger().With("stream", st.ID())
	d := net.Dialer{Timeout: cmp.Or(c.DialTimeout, DefaultDialTimeout)}
	local, err := d.Dial("tcp", c.Local)
	if err != nil {
		log.Warn("tunnel client: local service unreachable", "local", c.Local, "err", err)
		st.Reset()
		return
	}
	if err := pipe(st, local); err != nil {
		log.Info("tunnel client: connection aborted", "err", err)
		return
	}
	log.Debug("tunnel client: connection done")
}

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}
