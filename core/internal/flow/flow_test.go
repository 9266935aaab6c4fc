package flow

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const initial = 256 << 10

var t0 = time.Unix(1000, 0)

func TestHalfWindowRule(t *testing.T) {
	var r Receiver
	r.Init(initial, initial, nil)
	// Nothing is due until half the window has been consumed (more data is
	// buffered, so the reader has not caught up).
	if r.Add(128<<10-1, 1) {
		t.Fatal("increment due before half the window was read")
	}
	if got := r.Grant(t0.Add(time.Second/2), 0); got != 0 {
		t.Fatalf("increment %d before half the window was read", got)
	}
	if !r.Add(1, 1) {
		t.Fatal("no increment due after exactly half the window")
	}
	if got := r.Grant(t0.Add(time.Second), 0); got != 128<<10 {
		t.Fatalf("increment %#x, want 0x20000 (golden window_update_128k)", got)
	}
	// The whole count since the last update goes back, not just half.
	r.Add(128<<10+5, 1)
	if got := r.Grant(t0.Add(2*time.Second), 0); got != 128<<10+5 {
		t.Fatalf("increment %#x, want 0x20005 (golden window_update_odd)", got)
	}
	if got := r.Grant(t0.Add(3*time.Second), 0); got != 0 {
		t.Fatalf("increment with nothing consumed: %d", got)
	}
}

func TestGrowsWhenWindowLimited(t *testing.T) {
	b := NewBudget(64 << 20)
	var r Receiver
	r.Init(initial, 4<<20, b)
	now := t0
	rtt := time.Millisecond
	var sizes []uint32
	for range 10 {
		now = now.Add(rtt) // half a window per round trip: the sender waits on credit
		r.Add(int(r.Window/2), 0)
		inc := r.Grant(now, rtt)
		if inc < r.Window/2 {
			t.Fatalf("increment %d smaller than the consumed half window", inc)
		}
		sizes = append(sizes, r.Window)
	}
	if r.Window != 4<<20 {
		t.Fatalf("window %d after fast consumption, want the 4 MiB ceiling; steps %v", r.Window, sizes)
	}
	// Growth must not stall at 2x the initial window (the go-yamux bug).
	if sizes[1] <= 2*initial && sizes[2] <= 2*initial {
		t.Fatalf("window stalled: %v", sizes)
	}
	if used := 64<<20 - b.Available(); used != 4<<20-initial {
		t.Fatalf("budget used %d, want %d", used, 4<<20-initial)
	}
	r.Release()
	if b.Available() != 64<<20 {
		t.Fatalf("budget after release %d", b.Available())
	}
	r.Release() // idempotent
	if b.Available() != 64<<20 {
		t.Fatalf("double release changed the budget: %d", b.Available())
	}
}

func TestNoGrowthWhenReaderIsSlow(t *testing.T) {
	b := NewBudget(64 << 20)
	var r Receiver
	r.Init(initial, 16<<20, b)
	now := t0
	for range 5 {
		now = now.Add(100 * time.Millisecond) // far slower than 2 RTT
		r.Add(int(r.Window/2), 0)
		if inc := r.Grant(now, time.Millisecond); inc != initial/2 {
			t.Fatalf("increment %d, want exactly the consumed %d", inc, initial/2)
		}
	}
	if r.Window != initial || b.Available() != 64<<20 {
		t.Fatalf("window grew for a slow reader: %d", r.Window)
	}
}

func TestNoGrowthWhenDataPilesUp(t *testing.T) {
	b := NewBudget(64 << 20)
	var r Receiver
	r.Init(initial, 16<<20, b)
	// Half windows consumed a microsecond apart: fast by the clock. The
	// first update starts the growth epoch; the second decides.
	grant := func(at time.Duration, unread int) uint32 {
		t.Helper()
		r.Add(initial/2, unread)
		return r.Grant(t0.Add(at), time.Millisecond)
	}
	if inc := grant(time.Microsecond, 0); inc != initial/2 {
		t.Fatalf("increment %d, want exactly the consumed %d", inc, initial/2)
	}
	// But a quarter window and more is still unread: the reader is the
	// bottleneck (or the RTT estimate is too high), so more window would
	// only buffer more.
	if inc := grant(2*time.Microsecond, initial/4+1); inc != initial/2 {
		t.Fatalf("increment %d with data piling up, want exactly the consumed %d", inc, initial/2)
	}
	// Once the reader has caught up, the epoch is judged: the window grows 8x.
	if inc := grant(3*time.Microsecond, initial/4); inc != initial/2+7*initial {
		t.Fatalf("increment %d with the reader keeping up, want %d (window grown 8x)", inc, initial/2+7*initial)
	}
}

func TestBudgetCapsGrowth(t *testing.T) {
	b := NewBudget(initial + initial/2)
	var r1, r2 Receiver
	r1.Init(initial, 16<<20, b)
	r2.Init(initial, 16<<20, b)
	now := t0
	for range 8 {
		now = now.Add(time.Microsecond)
		for _, r := range []*Receiver{&r1, &r2} {
			r.Add(int(r.Window/2), 0)
			r.Grant(now, time.Millisecond)
		}
	}
	grown := int64(r1.Window+r2.Window) - 2*initial
	if grown != initial+initial/2 || b.Available() != 0 {
		t.Fatalf("grown %d with budget %d left; want the whole budget and no more", grown, b.Available())
	}
}

func TestReleaseRacesGrowth(t *testing.T) {
	b := NewBudget(1 << 30)
	var r Receiver
	r.Init(initial, 1<<30, b)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		now := t0
		for range 1000 {
			now = now.Add(time.Nanosecond)
			r.Add(int(r.Window/2), 0)
			r.Grant(now, time.Millisecond)
		}
	}()
	r.Release()
	wg.Wait()
	r.Release()
	if b.Available() != 1<<30 {
		t.Fatalf("budget leaked: %d of %d", b.Available(), 1<<30)
	}
}

// A reader that has emptied its buffer gets credit back after a quarter of
// the window, not half: after a burst the sender may be waiting for it.
func TestDrainedReaderReturnsCreditEarly(t *testing.T) {
	var r Receiver
	r.Init(initial, initial, nil)
	if r.Add(initial/4, 1) {
		t.Fatal("increment due for a quarter of the window with data still buffered")
	}
	if got := r.Grant(t0.Add(time.Second), 0); got != 0 {
		t.Fatalf("increment %d before anything was due", got)
	}
	r = Receiver{}
	r.Init(initial, initial, nil)
	if r.Add(initial/4-1, 0) {
		t.Fatal("increment due before a quarter of the window was read")
	}
	if !r.Add(1, 0) {
		t.Fatal("no increment due after a quarter of the window, buffer empty")
	}
	if got := r.Grant(t0.Add(time.Second), 0); got != initial/4 {
		t.Fatalf("increment %d, want the %d read", got, initial/4)
	}
}

// A large window returns credit every MiB, not every half window.
func TestLargeWindowHoldsBackAtMostOneMiB(t *testing.T) {
	var r Receiver
	r.Init(16<<20, 16<<20, nil)
	if r.Add(1<<20-1, 1) {
		t.Fatal("increment due before 1 MiB was read")
	}
	if !r.Add(1, 1) {
		t.Fatal("no increment due after 1 MiB")
	}
	if got := r.Grant(t0.Add(time.Second), 0); got != 1<<20 {
		t.Fatalf("increment %d, want 1 MiB", got)
	}
}

// With no ping estimate the window learns the round trip from the data:
// the time from an update to the first byte beyond the limit before it.
// With it, consumption that looked slow for the 1 ms assumed turns out to
// be at the window's limit, and the window grows.
func TestRTTFromData(t *testing.T) {
	const rtt = 50 * time.Millisecond
	for _, tc := range []struct {
		name     string
		caughtUp bool // the reader had emptied its buffer before the probe's bytes
		grows    bool
	}{
		{"read as they arrive", true, true},
		{"read late", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBudget(64 << 20)
			var r Receiver
			r.Init(initial, 16<<20, b)
			// The initial window arrives at once; half of it is read.
			sent := t0.Add(rtt / 2)
			r.Add(initial/2, initial/2)
			if inc := r.Grant(sent, 0); inc != initial/2 {
				t.Fatalf("first increment %d, want %d", inc, initial/2)
			}
			// The rest is read 20 ms later: slow for a 1 ms round trip.
			r.Add(initial/2, 0)
			if inc := r.Grant(sent.Add(20*time.Millisecond), 0); inc != initial/2 {
				t.Fatalf("second increment %d, want %d (no growth yet)", inc, initial/2)
			}
			// One round trip after the first update its credit is used.
			unread := 0
			if !tc.caughtUp {
				r.Add(0, 1) // something was left to read when the bytes came
				unread = 1
			}
			if !r.Add(1, unread) && tc.caughtUp {
				t.Fatal("the probe's byte did not ask for a sample")
			}
			if inc := r.Grant(sent.Add(rtt), 0); inc != 0 {
				t.Fatalf("increment %d for one byte", inc)
			}
			// Then half a window every 20 ms: slow for the 1 ms assumed,
			// fast for the round trip the data showed. The epoch that
			// judges it begins with the bytes sent on the credit of the
			// last decision. A reader that stays behind never lets a
			// sample count.
			now := sent.Add(rtt)
			for range 4 {
				now = now.Add(20 * time.Millisecond)
				if r.Add(initial/2, unread) {
					r.Grant(now, 0)
				}
			}
			if grew := r.Window > initial; grew != tc.grows {
				t.Fatalf("window %d; want growth: %v", r.Window, tc.grows)
			}
			r.Release()
		})
	}
}

// Each round trip the whole window arrives at once (the very first 64 KiB
// just ahead of the rest), and the reader reads it in 64 KiB pieces: at the
// first update of every burst half the window is still unread, at the
// second nothing is. Growth must not lock onto the
// first and never happen (seen over a 50 ms link, the window stayed at
// 256 KiB for a whole transfer).
func TestGrowsWhenBurstsArriveWhole(t *testing.T) {
	const rtt = 50 * time.Millisecond
	for _, ping := range []time.Duration{0, rtt} {
		b := NewBudget(64 << 20)
		var r Receiver
		r.Init(initial, 16<<20, b)
		now := t0
		for burst := 0; burst < 3 && r.Window == initial; burst++ {
			now = now.Add(rtt)
			for unread := initial - 64<<10; unread >= 0; unread -= 64 << 10 {
				left := unread
				if burst == 0 && unread == initial-64<<10 {
					left = 0 // the first piece came alone, the rest right after
				}
				now = now.Add(10 * time.Microsecond)
				if r.Add(64<<10, left) {
					r.Grant(now, ping)
				}
			}
		}
		if r.Window == initial {
			t.Errorf("ping estimate %v: window still %d after 3 round trips", ping, r.Window)
		}
		r.Release()
	}
}
