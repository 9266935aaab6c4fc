package bench

import (
	"fmt"
	"net"
	"slices"
	"sync"
	"time"
)

// exitTimeout bounds how long finish waits for the run's goroutines after
// closing its sessions.
const exitTimeout = 10 * time.Second

// rig owns everything one workload run starts: its session pairs, its
// goroutines and a watchdog. Any failure, in any goroutine, and the
// watchdog's expiry record the first error and shut the rig down: every
// session is closed, which unblocks every Open, Accept, Read and Write, so
// the test goroutine, waiting in await or in I/O, notices and fails instead
// of hanging.
//
// The test goroutine calls newRig, pair, open, await, receive and finish;
// spawn, fail and shutdown may be called from any goroutine.
type rig struct {
	tb bencher
	im impl

	mu       sync.Mutex
	sessions []session // every end pair made; guarded by mu
	err      error     // first failure; guarded by mu
	down     bool      // shutdown has started; guarded by mu

	downCh   chan struct{}  // closed when shutdown starts
	closedCh chan struct{}  // closed when every session has been closed
	wg       sync.WaitGroup // goroutines started by spawn
	dog      *time.Timer
}

// newRig starts a rig for j whose watchdog fails the run after j.sz.timeout.
// The caller must defer finish.
func newRig(j job) *rig {
	r := &rig{
		tb:       j.b,
		im:       j.im,
		downCh:   make(chan struct{}),
		closedCh: make(chan struct{}),
	}
	limit := j.sz.timeout
	r.dog = time.AfterFunc(limit, func() {
		r.fail(fmt.Errorf("watchdog: run still going after %v", limit))
	})
	return r
}

// pair builds a session pair with options o and registers both ends to be
// closed at shutdown.
func (r *rig) pair(o options) (client, server session) {
	r.tb.Helper()
	c, s, err := r.im.pair(o)
	if err != nil {
		r.fatalf("%s: pair: %v", r.im.name, err)
	}
	r.mu.Lock()
	down := r.down
	if !down {
		r.sessions = append(r.sessions, c, s)
	}
	r.mu.Unlock()
	if down {
		c.Close()
		s.Close()
		r.fatalf("%s: pair built after shutdown", r.im.name)
	}
	return c, s
}

// open opens a stream on s or fails the run.
func (r *rig) open(s session) net.Conn {
	r.tb.Helper()
	c, err := s.Open()
	if err != nil {
		r.fatalf("%s: open: %v", r.im.name, err)
	}
	return c
}

// spawn runs f on a new goroutine that finish waits for. An error from f
// fails the run, unless the rig is already shutting down, when errors from
// closed sessions are expected.
func (r *rig) spawn(f func() error) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := f(); err != nil {
			r.fail(err)
		}
	}()
}

// serve accepts streams on s until it is closed, running h on each in its
// own goroutine and closing the stream when h returns.
func (r *rig) serve(s session, h func(net.Conn) error) {
	r.spawn(func() error {
		for {
			c, err := s.Accept()
			if err != nil {
				return fmt.Errorf("%s: accept: %w", r.im.name, err)
			}
			r.spawn(func() error {
				defer c.Close()
				return h(c)
			})
		}
	})
}

// runAll runs f(0) … f(n-1), each on its own goroutine, and waits for all
// of them; an error from any fails the run.
func (r *rig) runAll(what string, n int, f func(i int) error) {
	r.tb.Helper()
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		r.spawn(func() error {
			defer wg.Done()
			return f(i)
		})
	}
	done := make(chan struct{})
	r.spawn(func() error {
		wg.Wait()
		close(done)
		return nil
	})
	r.await(done, what)
}

// reserve makes room to register n more session pairs, so that growing the
// registry does not show up in a memory measurement.
func (r *rig) reserve(n int) {
	r.mu.Lock()
	r.sessions = slices.Grow(r.sessions, 2*n)
	r.mu.Unlock()
}

// fail records err as the run's failure, if it is the first and the rig is
// not shutting down, and shuts the rig down.
func (r *rig) fail(err error) {
	r.mu.Lock()
	if !r.down && r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
	r.shutdown()
}

// failure returns the first recorded failure, or nil.
func (r *rig) failure() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// shutdown closes every session once; it returns at once, the closing runs
// on its own goroutine and closes closedCh when done.
func (r *rig) shutdown() {
	r.mu.Lock()
	if r.down {
		r.mu.Unlock()
		return
	}
	r.down = true
	sessions := r.sessions
	r.sessions = nil
	close(r.downCh)
	r.mu.Unlock()
	go func() {
		for _, s := range sessions {
			s.Close()
		}
		close(r.closedCh)
	}()
}

// fatalf fails the run from the test goroutine, adding the first recorded
// failure, which is usually the cause.
func (r *rig) fatalf(format string, args ...any) {
	r.tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if err := r.failure(); err != nil {
		msg += " (first failure: " + err.Error() + ")"
	}
	r.tb.Fatal(msg)
}

// await blocks until done is closed, failing the run if the rig shuts down
// first.
func (r *rig) await(done <-chan struct{}, what string) {
	r.tb.Helper()
	select {
	case <-done:
	case <-r.downCh:
		r.fatalf("%s: %s: interrupted", r.im.name, what)
	}
}

// receive returns the next value from ch, failing the run if the rig shuts
// down first.
func receive[T any](r *rig, ch <-chan T, what string) T {
	r.tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-r.downCh:
		r.fatalf("%s: %s: interrupted", r.im.name, what)
		var zero T
		return zero // not reached: fatalf does not return
	}
}

// send delivers v on ch unless the rig shuts down first; for goroutines.
func send[T any](r *rig, ch chan<- T, v T) {
	select {
	case ch <- v:
	case <-r.downCh:
	}
}

// finish stops the watchdog, closes every session and waits, bounded, for
// every goroutine spawned. It reports a failure recorded after the test
// goroutine last looked and is safe to call after a Fatal.
func (r *rig) finish() {
	r.tb.Helper()
	r.dog.Stop()
	r.shutdown()

	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		<-r.closedCh
		close(done)
	}()
	timer := time.NewTimer(exitTimeout)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		r.tb.Errorf("%s: sessions or goroutines still busy %v after close", r.im.name, exitTimeout)
	}
	if err := r.failure(); err != nil && !r.tb.Failed() {
		r.tb.Error(err)
	}
}
