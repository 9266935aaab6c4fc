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
// since the last update reach half the window (the rule the Rust crate
// follows) or 1 MiB, whichever is less, or a quarter of the window when the
// reader has emptied its buffer, Grant returns them all as one increment.
// The last two keep a large window busy: credit held back waits for the
// next update, and after a burst the next bytes may be a round trip away.
//
// If the sender is held back by the window, not by the reader, more window
// buys throughput: the window then grows, up to Max and as far as the
// session Budget allows, and the extra goes out at once, added to the
// increment. It grows by up to 8x at a time when the stream runs at the
// window's limit, so it reaches Max within a few round trips. The
// round-trip time this needs is the smaller of the session's ping estimate
// and Receiver's own measurement from the data: the time from sending an
// update until the sender's first byte beyond the limit it had before
// arrives and is read, if the reader had caught up, so that byte did not
// wait in the buffer. It is an upper bound (a sender with nothing to send
// adds its idle time), so the smallest sample is kept. Growth does not wait
// for pings, nor need keepalive to be on.
type Receiver struct {
	Window  uint32 // current window size in bytes
	Max     uint32 // ceiling for auto-tuning; Window never exceeds it
	unacked uint32 // bytes consumed since the last increment
	unread  uint32 // bytes received but not consumed, as of the last Add (at most a window)
	// The growth epoch: when it began and how much had been read then. It
	// begins at the first read past epochFrom, the sender's limit before
	// the update that ended the last one (0 at first): the first bytes
	// sent on credit the sender got after the last decision. So neither
	// the wait for the first data nor the sender's wait for credit counts,
	// and all of a burst that arrives at once does. Growth is decided once
	// half a window has been read in it and the reader has caught up, so
	// the rate is never judged from a few bytes that happened to come at
	// once.
	epochStart time.Time // zero: not begun
	epochRead  uint64
	epochFrom  uint64 // in bytes since the stream began
	read       uint64 // bytes consumed in all
	// probeEnd is the sender's limit (in bytes since the stream began)
	// before the update sent at probeSent: reading past it completes an
	// RTT sample. 0: no probe under way.
	probeEnd  uint64
	probeSent time.Time
	dataRTT   time.Duration // smallest RTT sample from the data; 0 if none yet
	budget    *Budget
	// reserved is the budget this stream holds; -1 once released. It is
	// atomic because Release may run on another goroutine than Grant.
	reserved atomic.Int64
}

// assumedRTT stands in for the round-trip time until pings or the data
// have measured it.
const assumedRTT = time.Millisecond

// maxHoldBack is the most consumed credit kept back from the sender.
const maxHoldBack = 1 << 20

// maxGrowth is the most the window multiplies by in one update.
const maxGrowth = 8

// Init sets up a receiver with the given initial and maximum window, drawing growth from budget (nil: no growth above initial).
func (r *Receiver) Init(initial, ceiling uint32, budget *Budget) {
	r.Window, r.Max, r.budget = initial, max(ceiling, initial), budget
}

// Add records that the application consumed n bytes, leaving unread bytes
// received but not yet consumed, and reports whether Grant should be called
// now: an increment is due, these bytes complete an RTT sample, a growth
// epoch begins, or growth can be decided.
func (r *Receiver) Add(n, unread int) bool {
	caughtUp := r.unread == 0 // these bytes arrived after the last read
	r.unacked += uint32(n)
	r.read += uint64(n)
	r.unread = uint32(unread)
	if r.probed() && !caughtUp {
		r.probeEnd = 0 // they may have waited to be read: no sample
	}
	return r.due() || r.probed() || r.growable() && (r.epochBegins() || r.decidable())
}

// due reports whether an increment is to be sent.
func (r *Receiver) due() bool {
	return r.unacked >= min(r.Window/2, maxHoldBack) || r.unread == 0 && r.unacked >= r.Window/4
}

// growable reports whether the window may still grow.
func (r *Receiver) growable() bool { return r.budget != nil && r.Window < r.Max }

// epochBegins reports whether a growth epoch begins with the bytes just
// read.
func (r *Receiver) epochBegins() bool { return r.epochStart.IsZero() && r.read > r.epochFrom }

// decidable reports whether the epoch under way can be judged: half a
// window has been read in it and the reader keeps up (at most a quarter
// window unread).
func (r *Receiver) decidable() bool {
	return !r.epochStart.IsZero() && r.read-r.epochRead >= uint64(r.Window/2) && r.unread <= r.Window/4
}

// probed reports whether the reader got past the probe's limit: the sender
// had the probing update by the time those bytes were sent.
func (r *Receiver) probed() bool { return r.probeEnd != 0 && r.read > r.probeEnd }

// Grant returns the increment to send now that Add asked for a call, at
// time now with rtt the session's round-trip estimate from pings (0 if
// unknown). It returns 0 if no increment is due.
//
// Growth is decided once half a window has been read in the epoch that
// began with the first bytes sent on the credit of the last decision's
// update, at a read where the reader keeps up (unread is at most a quarter
// window; until then the epoch goes on). The window grows if those bytes
// went at a quarter or more of the rate the window allows (Window per round
// trip): then the sender is held back by the window. The faster they went,
// the more it grows: 2x at a quarter of that rate, up to 8x at the full
// rate. A reader that lets data pile up gets no more window whatever the
// RTT estimate says, so a delayed ping cannot inflate its buffers.
func (r *Receiver) Grant(now time.Time, rtt time.Duration) uint32 {
	if r.probed() {
		r.dataRTT = minRTT(r.dataRTT, max(now.Sub(r.probeSent), 1))
		r.probeEnd = 0
	}
	limit := r.read - uint64(r.unacked) + uint64(r.Window) // the sender's, before this call
	var extra uint32
	switch {
	case !r.growable():
	case r.epochBegins():
		r.epochStart, r.epochRead = now, r.read
	case r.decidable():
		extra = r.grow(now, rtt)
		r.epochStart, r.epochFrom = time.Time{}, limit
	}
	if extra == 0 && !r.due() {
		return 0
	}
	inc := r.unacked + extra
	if r.probeEnd == 0 {
		r.probeEnd, r.probeSent = limit, now
	}
	r.unacked = 0
	return inc
}

// grow judges the epoch that ends at now, grows the window as far as the
// rate of its bytes, Max and the budget allow, and returns the growth.
func (r *Receiver) grow(now time.Time, rtt time.Duration) uint32 {
	f := r.growth(float64(r.read-r.epochRead), now.Sub(r.epochStart), minRTT(rtt, r.dataRTT))
	want := int64(min(uint64(r.Window)*uint64(f-1), uint64(r.Max-r.Window)))
	if want <= 0 {
		return 0
	}
	got := r.budget.take(want)
	if got <= 0 || !r.hold(got) {
		return 0
	}
	r.Window += uint32(got)
	return uint32(got)
}

// growth returns the factor by which the window should grow after consumed
// bytes were read in elapsed time with the given round-trip estimate (0:
// unknown); 1 for no growth.
func (r *Receiver) growth(consumed float64, elapsed, rtt time.Duration) int {
	if rtt <= 0 {
		rtt = assumedRTT
	}
	// The rate of these bytes as a fraction of Window per round trip; a
	// quarter of it is the least that counts as held back by the window.
	frac := consumed * rtt.Seconds() / (max(elapsed.Seconds(), 1e-9) * float64(r.Window))
	if frac < 0.25 {
		return 1
	}
	return int(min(maxGrowth*frac, maxGrowth))
}

// minRTT returns the smaller of two round-trip estimates, ignoring one that
// is 0 (unknown).
func minRTT(a, b time.Duration) time.Duration {
	if a <= 0 || b > 0 && b < a {
		return b
	}
	return a
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
