package core

import (
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// deadline is one direction's deadline of a stream. A timer (created once,
// then reset) marks it exceeded and wakes the waiter through ch; no
// goroutine waits on it.
type deadline struct {
	ch       chan struct{} // the stream's wake-up channel for this direction
	exceeded atomic.Bool

	mu    sync.Mutex
	at    time.Time
	timer *time.Timer
}

// set moves the deadline to t; a zero t clears it.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.at = t
	if d.timer != nil {
		d.timer.Stop()
	}
	if t.IsZero() {
		d.exceeded.Store(false)
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		d.exceeded.Store(true)
		notify(d.ch)
		return
	}
	d.exceeded.Store(false)
	if d.timer == nil {
		d.timer = time.AfterFunc(wait, d.fire)
	} else {
		d.timer.Reset(wait)
	}
}

// fire runs on the timer: it marks the deadline exceeded unless it was moved.
func (d *deadline) fire() {
	d.mu.Lock()
	at := d.at
	d.mu.Unlock()
	if !at.IsZero() && !time.Now().Before(at) {
		d.exceeded.Store(true)
		notify(d.ch)
	}
}

// wait blocks until a wake-up on d.ch or done, or fails if the deadline has
// passed. Callers re-check their condition after it returns nil.
func (d *deadline) wait(done <-chan struct{}) error {
	if d.exceeded.Load() {
		return os.ErrDeadlineExceeded
	}
	select {
	case <-d.ch:
	case <-done:
	}
	return nil
}
