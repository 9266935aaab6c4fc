//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it.

package bufpool

import "testing"

// A recycled large buffer comes back without allocating, however rare it
// is among small ones (what bytebufferpool's calibration does not promise).
func TestSlabsRecycleLarge(t *testing.T) {
	var s Slabs
	s.Put(s.Get(256 << 10))
	allocs := testing.AllocsPerRun(100, func() {
		for range 50 {
			s.Put(s.Get(12))
		}
		s.Put(s.Get(256 << 10))
	})
	if allocs > 1 { // sync.Pool may drop an item at a GC
		t.Fatalf("%.1f allocations per round; want none in steady state", allocs)
	}
}
