//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it.

package evloop_test

import (
	"io"
	"runtime"
	"testing"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/internal/conformance"
)

// allocPair is a stream pair on event loops at both ends, keepalive off
// so that no timer adds work; serve runs on the far end until it fails.
func allocPair(t *testing.T, serve func(z *core.Stream) error) (near *core.Stream) {
	t.Helper()
	sc := core.DefaultConfig()
	sc.KeepAliveInterval = 0
	cfg := sessionConfig(sc)
	c, s := gnetPair(t, newListener(t, cfg), newClient(t, cfg))
	a, z := conformance.OpenPair(t, c, s)
	done := make(chan struct{})
	go func() {
		defer close(done)
		serve(z)
	}()
	t.Cleanup(func() {
		a.Close()
		z.Close()
		<-done
	})
	return a
}

// TestRoundTripAllocs: a request and its echo on an established stream
// allocate nothing, at either end: no task for gnet's loop (each costs
// gnet two allocations), no closure, no buffer.
func TestRoundTripAllocs(t *testing.T) {
	a := allocPair(t, func(z *core.Stream) error {
		buf := make([]byte, 64)
		for {
			n, err := z.Read(buf)
			if err != nil {
				return err
			}
			if _, err := z.Write(buf[:n]); err != nil {
				return err
			}
		}
	})
	msg, reply := make([]byte, 64), make([]byte, 64)
	roundTrip := func() {
		if _, err := a.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(a, reply); err != nil {
			t.Fatal(err)
		}
	}
	for range 200 {
		roundTrip()
	}
	if allocs := allocsPer(2000, roundTrip); allocs > 0.05 {
		t.Fatalf("%.3f allocations per round trip; want none", allocs)
	} else {
		t.Logf("%.4f allocations per round trip", allocs)
	}
}

// allocsPer returns the average number of heap allocations per call of f
// over runs calls, after one call to warm up. Unlike testing.AllocsPerRun
// it keeps GOMAXPROCS as it is, so that the event loops, the writer and
// the reader run in parallel as they do in use, handing work to each other.
func allocsPer(runs int, f func()) float64 {
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / float64(runs)
}

// TestBulkAllocs: moving data in 64 KiB writes allocates nothing in steady
// state, whether the socket has room or the driver waits for it: no task
// for gnet's loop, and gnet's outbound queue, which allocates on every
// write, is not used. What remains are sync.Pool refills after a garbage
// collection (the rings' chunks, the session's buffers), rare enough to
// stay far below one per MiB.
func TestBulkAllocs(t *testing.T) {
	const chunk, perRun = 64 << 10, 1 << 20
	got := make(chan struct{}, 1)
	a := allocPair(t, func(z *core.Stream) error {
		// Small reads keep the reader slower than the writer, so that the
		// socket fills and the driver has to wait for room.
		buf := make([]byte, 2<<10)
		n := 0
		for {
			m, err := z.Read(buf)
			if err != nil {
				return err
			}
			if n += m; n >= perRun {
				n -= perRun
				got <- struct{}{}
			}
		}
	})
	msg := make([]byte, chunk)
	mib := func() {
		for range perRun / chunk {
			if _, err := a.Write(msg); err != nil {
				t.Fatal(err)
			}
		}
		<-got
	}
	for range 128 { // pools, caches and the socket buffers settle
		mib()
	}
	if allocs := allocsPer(256, mib); allocs >= 1 {
		t.Fatalf("%.2f allocations per MiB; want none in steady state", allocs)
	} else {
		t.Logf("%.3f allocations per MiB", allocs)
	}
}
