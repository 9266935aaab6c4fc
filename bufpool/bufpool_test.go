package bufpool

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSlabsClasses(t *testing.T) {
	var s Slabs
	for _, c := range []struct{ n, cap int }{
		{0, 5 << 10}, {12, 5 << 10}, {5 << 10, 5 << 10}, {5<<10 + 1, 17 << 10},
		{64 << 10, 65 << 10}, {256<<10 + 60, 257 << 10}, {4<<20 + 1<<10, 4<<20 + 1<<10},
		{8 << 20, 4<<20 + 1<<10}, // beyond the largest class: the largest
	} {
		l := s.Get(c.n)
		if len(l.B) != 0 || cap(l.B) != c.cap || l.Next != nil {
			t.Fatalf("Get(%d): len %d cap %d next %v; want an empty link of cap %d", c.n, len(l.B), cap(l.B), l.Next, c.cap)
		}
		s.PutChain(l)
	}
}

// A chain goes back link by link, each to its class, and comes back empty
// and unlinked.
func TestSlabsPutChain(t *testing.T) {
	var s Slabs
	head := s.Get(100)
	head.B = append(head.B, "head"...)
	head.Next = s.Get(100 << 10)
	head.Next.B = append(head.Next.B, "tail"...)
	s.PutChain(head)
	s.PutChain(nil)
	for _, n := range []int{100, 100 << 10} {
		if l := s.Get(n); len(l.B) != 0 || l.Next != nil {
			t.Fatalf("Get(%d) after PutChain: len %d, next %v", n, len(l.B), l.Next)
		}
	}
}
