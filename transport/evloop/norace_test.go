//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it.

package evloop_test

import (
	"io"
	"testing"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/internal/conformance"
	"github.com/netmux/netmux/transport/evloop"
)

// allocPair is a stream pair on event loops at both ends whose far end
// echoes everything back, keepalive off so that no timer adds work.
func allocPair(t *testing.T) (near *core.Stream) {
	t.Helper()
	sc := core.DefaultConfig()
	sc.KeepAliveInterval = 0
	cfg := &evloop.Config{Session: sc}
	c, s := gnetPair(t, newListener(t, cfg), newClient(t, cfg))
	a, z := conformance.OpenPair(t, c, s)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, err := z.Read(buf)
			if err != nil {
				return
			}
			if _, err := z.Write(buf[:n]); err != nil {
				return
			}
		}
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
	a := allocPair(t)
	msg, reply := make([]byte, 64), make([]byte, 64)
	roundTrip := func() {
		if _, err := a.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(a, reply); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 { // pools and buffers warm up
		roundTrip()
	}
	if allocs := testing.AllocsPerRun(1000, roundTrip); allocs != 0 {
		t.Fatalf("%v allocations per round trip; want 0", allocs)
	}
}
