package bufpool

import (
	"bytes"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSlabsClasses(t *testing.T) {
	var s Slabs
	for _, n := range []int{0, 12, 5 << 10, 5<<10 + 1, 64 << 10, 256<<10 + 60, 4<<20 + 1<<10} {
		b := s.Get(n)
		if len(b.B) != 0 || cap(b.B) < n {
			t.Fatalf("Get(%d): len %d cap %d", n, len(b.B), cap(b.B))
		}
		s.Put(b)
	}
	// Beyond the largest class: exact size, not pooled.
	if b := s.Get(8 << 20); cap(b.B) != 8<<20 {
		t.Fatalf("Get(8 MiB) cap %d", cap(b.B))
	}
}

func TestSlabsGrowKeepsBytes(t *testing.T) {
	var s Slabs
	b := s.Grow(nil, 100)
	b.B = append(b.B, bytes.Repeat([]byte("x"), 100)...)
	same := s.Grow(b, 10)
	if same != b {
		t.Fatal("Grow replaced a buffer that had room")
	}
	big := s.Grow(b, 300<<10)
	if !bytes.Equal(big.B, bytes.Repeat([]byte("x"), 100)) || cap(big.B)-len(big.B) < 300<<10 {
		t.Fatalf("Grow: len %d cap %d", len(big.B), cap(big.B))
	}
}

// A Pool hands out empty Buffers, whatever was appended before Put.
func TestPoolGetIsEmpty(t *testing.T) {
	var p Pool
	for range 3 {
		b := p.Get()
		if len(b.B) != 0 {
			t.Fatalf("Get: len %d; want an empty buffer", len(b.B))
		}
		b.B = append(b.B, "twelve bytes"...)
		p.Put(b)
	}
}
