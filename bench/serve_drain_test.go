package bench

import (
	"net"
	"testing"
)

// TestDrainMarked checks what steady-MB/s relies on: drainMarked counts
// every byte, notes the read that passed the mark after the bytes before
// it and no later than EOF, and notes none without a mark.
func TestDrainMarked(t *testing.T) {
	const size, chunks = 1000, 10
	for _, tc := range []struct {
		name string
		mark int64
	}{
		{"half", size * chunks / 2},
		{"mid-write", size*chunks/2 + size/3},
		{"none", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer b.Close()
			sent := make(chan error, 1)
			go func() { sent <- sendPattern(a, chunks, size) }()
			d, err := drainMarked(b, tc.mark)
			if err != nil {
				t.Fatal(err)
			}
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
			if d.n != size*chunks {
				t.Fatalf("drained %d bytes, want %d", d.n, size*chunks)
			}
			if tc.mark < 0 {
				if !d.markAt.IsZero() || d.markN != 0 {
					t.Fatalf("no mark, yet noted %d bytes at %v", d.markN, d.markAt)
				}
				return
			}
			// net.Pipe reads return at most one write: the mark falls in
			// the write that crosses it.
			if d.markN < tc.mark || d.markN >= tc.mark+size {
				t.Errorf("mark noted at %d bytes, want the read that passed %d", d.markN, tc.mark)
			}
			if d.markAt.IsZero() || d.end.Before(d.markAt) {
				t.Errorf("mark at %v, EOF at %v: want the mark first", d.markAt, d.end)
			}
		})
	}
}
