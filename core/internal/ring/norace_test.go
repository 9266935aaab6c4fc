//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it.

package ring

import "testing"

const raceEnabled = false

func TestNoAllocs(t *testing.T) {
	var q Ring
	data := make([]byte, 1024)
	buf := make([]byte, 1024)
	for _, n := range []int{1024, 3*chunkSize + 17} {
		data = make([]byte, n)
		buf = make([]byte, n)
		q.Write(data) // warm the pools
		q.Read(buf)
		allocs := testing.AllocsPerRun(1000, func() {
			q.Write(data)
			if q.Read(buf) != n {
				panic("short read")
			}
		})
		if allocs != 0 {
			t.Errorf("write+read of %d bytes: %v allocs/op, want 0", n, allocs)
		}
		space := make([][]byte, 0, 8)
		allocs = testing.AllocsPerRun(1000, func() {
			fillReserved(q.Reserve(space[:0], n+chunkSize), data)
			q.Commit(n)
			if q.Read(buf) != n {
				panic("short read")
			}
		})
		if allocs != 0 {
			t.Errorf("reserve+commit+read of %d bytes: %v allocs/op, want 0", n, allocs)
		}
	}
}
