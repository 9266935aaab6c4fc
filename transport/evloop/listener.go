package evloop

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/netmux/netmux/core"
)

// Listener accepts connections and runs each, as the server side of a
// session, on gnet event loops. It is safe for concurrent use.
//
// One goroutine accepts (as gnet's own acceptor would) and hands each
// connection to an event loop; Config.EventLoops goroutines and one
// background writer serve all the sessions.
type Listener struct {
	nl      net.Listener
	lp      *loops
	closing chan struct{} // closed when Close starts
	done    chan struct{} // closed when the accepting goroutine has exited
	once    sync.Once
	err     error // from stopping the loops; set in once
}

// Accept-error back-off, for errors such as running out of descriptors.
const (
	minAcceptDelay = 5 * time.Millisecond
	maxAcceptDelay = time.Second
)

// Listen listens on addr and returns a Listener serving it. addr is
// "host:port" (TCP), or "tcp://host:port", "tcp4://…", "tcp6://…" or
// "unix:///path/to/socket"; port 0 picks a free port, which Addr reports.
func Listen(addr string, cfg *Config) (*Listener, error) {
	set, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	network, address, err := splitAddr(addr)
	if err != nil {
		return nil, err
	}
	nl, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	lp, err := startLoops(set, core.RoleServer)
	if err != nil {
		nl.Close()
		return nil, err
	}
	l := &Listener{nl: nl, lp: lp, closing: make(chan struct{}), done: make(chan struct{})}
	go l.acceptLoop()
	return l, nil
}

// acceptLoop hands every accepted connection to an event loop, until the
// listener is closed.
func (l *Listener) acceptLoop() {
	defer close(l.done)
	delay := time.Duration(0)
	for {
		nc, err := l.nl.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			delay = min(max(2*delay, minAcceptDelay), maxAcceptDelay)
			l.lp.handler.set.log.Warn("evloop: accept failed; retrying", "err", err, "in", delay)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-l.closing:
				t.Stop()
				return
			}
			continue
		}
		delay = 0
		if !l.lp.enter() {
			nc.Close()
			return
		}
		// OnOpen queues the session for Accept, or refuses the connection
		// (and logs why) when the backlog is full.
		if _, err := l.lp.enroll(nc, &loopDriver{handler: l.lp.handler}); err != nil && !errors.Is(err, errNotRegistered) {
			l.lp.handler.set.log.Warn("evloop: connection not served", "err", err)
		}
		l.lp.leave()
	}
}

// Accept waits for the next session a peer connects. It fails with
// ErrClosed once the Listener is closed.
func (l *Listener) Accept() (*core.Session, error) {
	return l.AcceptSession(context.Background())
}

// AcceptSession is Accept bounded by ctx: it returns ctx.Err() if ctx ends
// the wait.
func (l *Listener) AcceptSession(ctx context.Context) (*core.Session, error) {
	select {
	case <-l.closing:
		return nil, ErrClosed
	default:
	}
	select {
	case s := <-l.lp.handler.accepts:
		return s, nil
	case <-l.closing:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Addr returns the address the Listener is bound to.
func (l *Listener) Addr() net.Addr { return l.nl.Addr() }

// NumSessions returns the number of sessions whose connection is open,
// accepted or not.
func (l *Listener) NumSessions() int { return l.lp.handler.live() }

// Close stops accepting, closes every session it made (each sends GoAway
// and gets up to its WriteTimeout to flush), stops the event loops and
// returns once they and the accepting goroutine have exited. It is
// idempotent.
func (l *Listener) Close() error {
	l.once.Do(func() {
		close(l.closing)
		l.nl.Close()
		<-l.done
		l.err = l.lp.close()
	})
	return l.err
}
