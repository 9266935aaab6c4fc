package core

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netmux/netmux/core/internal/ring"
)

// waiter is where one direction of a stream blocks: its reader or its
// writer. It holds no channel while nobody waits: a pooled wake-up channel is
// armed for the duration of a wait, so an idle stream costs two pointers per
// direction. Wake-ups may be spurious; waiters re-check their condition.
//
// A blocking loop looks like:
//
//	var k *wakeup
//	for {
//		if done() { break }
//		if k == nil { k = w.arm(); continue } // re-check after arming
//		block(k, sessionDone) // or Session.awaitInbound
//	}
//	w.disarm(k)
type waiter struct {
	armed atomic.Pointer[wakeup]
	dl    atomic.Pointer[deadline] // created by the first SetDeadline
}

// wakeup is a pooled 1-buffered channel. While its goroutine leads the
// goroutine driver's reading (see goroutineDriver.lead), leader is that
// driver, and a notify interrupts the transport Read it is blocked in.
//
// A Stream.Read blocked on it may also offer its buffer (see offer): the
// dispatcher then copies payload straight into it instead of into the
// stream's ring, saving one copy of every byte read that way.
type wakeup struct {
	c      chan struct{}
	leader atomic.Pointer[goroutineDriver]

	// The offered buffer. buf, ring and at are set before lend becomes
	// lendOffered and stay put until the reader withdraws; got belongs
	// to whoever moved lend to lendFilling.
	lend atomic.Int32
	buf  []byte
	ring *ring.Ring // the stream's ring: payload for another goes elsewhere
	at   uint64     // ring.Consumed() when offered: payload goes here only while the ring holds nothing unread
	got  int        // bytes copied into buf
	// claimed is how much of buf the dispatcher's claimer reads into
	// (Session.payloadSpace); it belongs to the claimer.
	claimed int
}

// States of wakeup.lend.
const (
	lendNone    = iota // no buffer offered
	lendOffered        // buf waits for payload
	lendFilling        // the dispatcher is copying into buf
	lendFilled         // buf holds got bytes; more may be added
)

// offer lends p to the dispatcher while the caller, the reader of the
// stream whose ring is q, blocks on k. Withdraw before using p or k again.
func (k *wakeup) offer(p []byte, q *ring.Ring) {
	k.buf, k.ring, k.at, k.got = p, q, q.Consumed(), 0
	k.lend.Store(lendOffered)
}

// claim takes the buffer offered on k for the stream whose ring is q, if
// there is one and q is still empty, and returns its free part (never
// empty). The dispatcher then copies or reads into it and must call
// release at once (it must not block in between: the reader may be
// waiting to withdraw).
func (k *wakeup) claim(q *ring.Ring) ([]byte, bool) {
	state := k.lend.Load()
	if state != lendOffered && state != lendFilled || !k.lend.CompareAndSwap(state, lendFilling) {
		return nil, false
	}
	// k may have gone back to the pool and on to another stream since we
	// loaded it: its fields say whose buffer it is.
	if k.ring != q || k.at != q.Written() || k.got == len(k.buf) {
		k.lend.Store(state)
		return nil, false
	}
	return k.buf[k.got:], true
}

// release ends a claim: n bytes were put at the start of the space claim
// returned.
func (k *wakeup) release(n int) {
	k.got += n
	if k.got > 0 {
		k.lend.Store(lendFilled)
	} else {
		k.lend.Store(lendOffered)
	}
}

// withdraw takes the offered buffer back and returns how many bytes the
// dispatcher copied into it. A copy under way is waited for: it is short.
func (k *wakeup) withdraw() int {
	for {
		switch state := k.lend.Load(); state {
		case lendNone:
			return 0
		case lendFilling:
			runtime.Gosched()
		default:
			if k.lend.CompareAndSwap(state, lendNone) {
				k.buf, k.ring = nil, nil
				return k.got
			}
		}
	}
}

var wakeups = sync.Pool{New: func() any { return &wakeup{c: make(chan struct{}, 1)} }}

// arm publishes a wake-up channel for the caller to block on.
func (w *waiter) arm() *wakeup {
	k := wakeups.Get().(*wakeup)
	w.armed.Store(k)
	return k
}

// disarm withdraws k (nil is allowed) and returns it to the pool. A late
// notify may still hit it; that is a spurious wake-up for its next user.
func (w *waiter) disarm(k *wakeup) {
	if k == nil {
		return
	}
	w.armed.Store(nil)
	select {
	case <-k.c:
	default:
	}
	wakeups.Put(k)
}

// block waits for a notify on k or for done.
func block(k *wakeup, done <-chan struct{}) {
	select {
	case <-k.c:
	case <-done:
	}
}

// notify wakes the goroutine waiting, if any. It never blocks. The send
// comes before the look at k.leader: a goroutine about to lead stores
// k.leader, then looks for a pending notify (see goroutineDriver.lead), so
// one of the two sees the other.
func (w *waiter) notify() {
	if k := w.armed.Load(); k != nil {
		select {
		case k.c <- struct{}{}:
		default:
		}
		if d := k.leader.Load(); d != nil {
			d.interrupt()
		}
	}
}

// exceeded reports whether the deadline has passed.
func (w *waiter) exceeded() bool {
	d := w.dl.Load()
	return d != nil && d.exceeded.Load()
}

// setDeadline moves the deadline to t; a zero t clears it.
func (w *waiter) setDeadline(t time.Time) {
	d := w.dl.Load()
	if d == nil {
		if t.IsZero() {
			return
		}
		w.dl.CompareAndSwap(nil, &deadline{w: w})
		d = w.dl.Load()
	}
	d.set(t)
}

// stopDeadline stops the deadline's timer for good, once the stream has
// ended: a pending timer would keep the stream in memory until it fired.
// Deadlines set afterwards are still honoured, without a timer (nothing can
// block on an ended stream).
func (w *waiter) stopDeadline() {
	if d := w.dl.Load(); d != nil {
		d.stop()
	}
}

// deadline is a waiter's deadline. A timer (created once, then reset) marks
// it exceeded and wakes the waiter; no goroutine waits on it.
type deadline struct {
	w        *waiter
	exceeded atomic.Bool

	mu      sync.Mutex
	at      time.Time
	timer   *time.Timer
	stopped bool // the stream ended: no timer any more
}

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
		d.w.notify()
		return
	}
	d.exceeded.Store(false)
	switch {
	case d.stopped:
	case d.timer == nil:
		d.timer = time.AfterFunc(wait, d.fire)
	default:
		d.timer.Reset(wait)
	}
}

// stop stops the timer for good.
func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stopped = true
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}

// fire runs on the timer: it marks the deadline exceeded unless it moved.
// It decides under the lock, so that a deadline moved at the same instant
// is never left marked exceeded.
func (d *deadline) fire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.at.IsZero() && !time.Now().Before(d.at) {
		d.exceeded.Store(true)
		d.w.notify()
	}
}

// notify sends a wake-up on a 1-buffered channel without blocking.
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
