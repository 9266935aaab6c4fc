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
	r.Init(initial, initial, nil, t0)
	// Nothing is due until half the window has been consumed.
	if r.Add(128<<10 - 1) {
		t.Fatal("increment due before half the window was read")
	}
	if !r.Add(1) {
		t.Fatal("no increment due after exactly half the window")
	}
	if got := r.Grant(t0.Add(time.Second), 0, 0); got != 128<<10 {
		t.Fatalf("increment %#x, want 0x20000 (golden window_update_128k)", got)
	}
	// The whole count since the last update goes back, not just half.
	r.Add(128<<10 + 5)
	if got := r.Grant(t0.Add(2*time.Second), 0, 0); got != 128<<10+5 {
		t.Fatalf("increment %#x, want 0x20005 (golden window_update_odd)", got)
	}
	if got := r.Grant(t0.Add(3*time.Second), 0, 0); got != 0 {
		t.Fatalf("increment with nothing consumed: %d", got)
	}
}

func TestGrowsWhenWindowLimited(t *testing.T) {
	b := NewBudget(64 << 20)
	var r Receiver
	r.Init(initial, 4<<20, b, t0)
	now := t0
	rtt := time.Millisecond
	var sizes []uint32
	for range 10 {
		now = now.Add(rtt) // half a window per round trip: the sender waits on credit
		r.Add(int(r.Window / 2))
		inc := r.Grant(now, rtt, 0)
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
	r.Init(initial, 16<<20, b, t0)
	now := t0
	for range 5 {
		now = now.Add(100 * time.Millisecond) // far slower than 2 RTT
		r.Add(int(r.Window / 2))
		if inc := r.Grant(now, time.Millisecond, 0); inc != initial/2 {
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
	r.Init(initial, 16<<20, b, t0)
	// Fast consumption by the clock, but a quarter window and more is still
	// unread: the reader is the bottleneck (or the RTT estimate is too
	// high), so more window would only buffer more.
	r.Add(initial / 2)
	if inc := r.Grant(t0.Add(time.Microsecond), time.Millisecond, initial/4+1); inc != initial/2 {
		t.Fatalf("increment %d, want exactly the consumed %d", inc, initial/2)
	}
	r.Add(initial / 2)
	if inc := r.Grant(t0.Add(2*time.Microsecond), time.Millisecond, initial/4); inc != initial/2+initial {
		t.Fatalf("increment %d with the reader keeping up, want %d (window doubled)", inc, initial/2+initial)
	}
}

func TestBudgetCapsGrowth(t *testing.T) {
	b := NewBudget(initial + initial/2)
	var r1, r2 Receiver
	r1.Init(initial, 16<<20, b, t0)
	r2.Init(initial, 16<<20, b, t0)
	now := t0
	for range 8 {
		now = now.Add(time.Microsecond)
		for _, r := range []*Receiver{&r1, &r2} {
			r.Add(int(r.Window / 2))
			r.Grant(now, time.Millisecond, 0)
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
	r.Init(initial, 1<<30, b, t0)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		now := t0
		for range 1000 {
			now = now.Add(time.Nanosecond)
			r.Add(int(r.Window / 2))
			r.Grant(now, time.Millisecond, 0)
		}
	}()
	r.Release()
	wg.Wait()
	r.Release()
	if b.Available() != 1<<30 {
		t.Fatalf("budget leaked: %d of %d", b.Available(), 1<<30)
	}
}
