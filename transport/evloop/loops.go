package evloop

import (
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/panjf2000/gnet/v2"

	"github.com/netmux/netmux/core"
)

// ErrClosed is returned by Accept after the Listener is closed and by Dial
// after the Client is closed; errors.Is(err, net.ErrClosed) holds.
var ErrClosed = fmt.Errorf("evloop: closed: %w", net.ErrClosed)

// errNotRegistered is the error when gnet could not add a connection to an
// event loop.
var errNotRegistered = errors.New("evloop: the event loop refused the connection")

// loops is a set of gnet event loops (a gnet.Client engine) and the
// sessions running on them; a Listener and a Client each own one. Both
// hand connections they established to enroll.
//
// gnet drops the tasks still queued for an event loop when it stops, and
// a connection whose registration task is dropped is never closed. So
// close first waits for every enrolment under way, then closes the
// sessions, and only then stops the loops.
//
// Ownership: handler and cli are fixed; mu guards closed and the Add side of
// enrolling.
type loops struct {
	handler *loopHandler
	cli     *gnet.Client

	mu        sync.Mutex
	closed    bool
	enrolling sync.WaitGroup
	once      sync.Once
	stopErr   error // from gnet's Stop; set in once
}

// startLoops starts the event loops of a Listener (role server) or Client.
func startLoops(set *settings, role core.Role) (*loops, error) {
	w, err := startWriteWaiter()
	if err != nil {
		return nil, err
	}
	h := newLoopHandler(set, role, w)
	cli, err := gnet.NewClient(h, set.gnetOptions()...)
	if err == nil {
		err = cli.Start()
	}
	if err != nil {
		h.stopWriting()
		return nil, err
	}
	return &loops{handler: h, cli: cli}, nil
}

// enter admits one enrolment, or reports false once closing has begun.
// A true result must be matched by a call to leave.
func (l *loops) enter() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.enrolling.Add(1)
	return true
}

func (l *loops) leave() { l.enrolling.Done() }

// enroll hands nc to an event loop, where OnOpen makes it a session with
// driver d, and returns that session. gnet takes over a duplicate of the
// socket and closes nc, whatever happens. The caller holds an enter.
func (l *loops) enroll(nc net.Conn, d *loopDriver) (*core.Session, error) {
	if _, err := l.cli.EnrollContext(nc, d); err != nil {
		return nil, err
	}
	// EnrollContext returns once the loop has run OnOpen, which set d.eng
	// unless it refused the connection.
	if d.eng == nil {
		return nil, errNotRegistered
	}
	return d.eng.Session(), nil
}

// close refuses new enrolments, waits for those under way, closes every
// session (see loopHandler.shutdown) and stops the event loops, returning once
// they have exited. It is idempotent.
func (l *loops) close() error {
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		l.enrolling.Wait()
		l.handler.shutdown()
		l.stopErr = l.cli.Stop()
		l.handler.stopWriting()
	})
	return l.stopErr
}
