// Package flow is credit flow control for one stream: the credit each side
// holds (SendCredit, RecvCredit), and when to return credit to the sender
// and how much, including window auto-tuning (Receiver). It is pure logic:
// time and the round-trip estimate are passed in, so it is tested without
// sockets or clocks.
package flow

import (
	"sync/atomic"
	"time"
)

// Budget is the window memory a session may grant above the streams'
// initial windows, shared by all its streams. Safe for concurrent use.
type Budget struct{ avail atomic.Int64 }

// NewBudget returns a budget of n bytes.
func NewBudget(n int64) *Budget {
	b := &Budget{}
	b.avail.Store(n)
	return b
}

// take reserves up to n bytes and returns how many it got.
func (b *Budget) take(n int64) int64 {
	for {
		a := b.avail.Load()
		got := min(a, n)
		if got <= 0 {
			return 0
		}
		if b.avail.CompareAndSwap(a, a-got) {
			return got
		}
	}
}

// give returns n bytes to the budget.
func (b *Budget) give(n int64) { b.avail.Add(n) }

// Available returns the bytes not yet reserved.
func (b *Budget) Available() int64 { return b.avail.Load() }

// Receiver tracks one stream's receive window. Not safe for concurrent use:
// it belongs to the stream's reader.
//
// Credit goes back as the application consumes data: once the bytes read
// since the last update reach half the window, Grant returns them all as
// one increment (the rule the Rust crate follows, so the wire looks the
// same). If that half window was consumed within two round trips while the
// reader kept up, the sender is being held back by the window, not by the
// reader: the window doubles, up to Max and as far as the session Budget
// allows, and the extra is added to the increment.
type Receiver struct {
	Window   uint32 // current window size in bytes
	Max      uint32 // ceiling for auto-tuning; Window never exceeds it
	unacked  uint32 // bytes consumed since the last increment
	lastSent time.Time
	budget   *Budget
	// reserved is the budget this stream holds; -1 once released. It is
	// atomic because Release may run on another goroutine than Grant.
	reserved atomic.Int64
}

// Init sets up a receiver with the given initial and maximum window, drawing growth from budget (nil: no growth above initial).
func (r *Receiver) Init(initial, ceiling uint32, budget *Budget, now time.Time) {
	r.Window, r.Max, r.budget, r.lastSent = initial, max(ceiling, initial), budget, now
}

// Add records that the application consumed n bytes and reports whether
// an increment is due (half the window consumed since the last one).
func (r *Receiver) Add(n int) bool {
	r.unacked += uint32(n)
	return r.unacked >= r.Window/2
}

// Grant returns the increment to send now that Add reported one due, at
// time now with rtt the session's round-trip estimate (0 if unknown, then
// 1ms is assumed) and unread the bytes received but not yet consumed. It
// returns 0 if nothing was consumed.
//
// The window grows only if the half window went within two round trips and
// the reader keeps up (unread is at most a quarter window): then the sender
// is held back by the window, not by the reader, and more credit buys
// throughput. A reader that lets data pile up gets no more window whatever
// the RTT estimate says, so a delayed ping cannot inflate its buffers.
func (r *Receiver) Grant(now time.Time, rtt time.Duration, unread int) uint32 {
	inc := r.unacked
	if inc == 0 {
		return 0
	}
	r.unacked = 0
	if rtt <= 0 {
		rtt = time.Millisecond
	}
	if now.Sub(r.lastSent) < 2*rtt && unread <= int(r.Window/4) && r.Window < r.Max && r.budget != nil {
		want := int64(min(uint64(r.Window), uint64(r.Max-r.Window)))
		if got := r.budget.take(want); got > 0 && r.hold(got) {
			r.Window += uint32(got)
			inc += uint32(got)
		}
	}
	r.lastSent = now
	return inc
}

// hold records got bytes of budget as this stream's, or gives them back and
// reports false if the stream was released meanwhile.
func (r *Receiver) hold(got int64) bool {
	for {
		cur := r.reserved.Load()
		if cur < 0 {
			r.budget.give(got)
			return false
		}
		if r.reserved.CompareAndSwap(cur, cur+got) {
			return true
		}
	}
}

// Release returns the stream's share of the budget and stops further
// growth. It is idempotent and safe to call from any goroutine.
func (r *Receiver) Release() {
	if got := r.reserved.Swap(-1); got > 0 {
		r.budget.give(got)
	}
}
