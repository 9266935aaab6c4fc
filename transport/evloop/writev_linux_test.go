//go:build linux && !race

package evloop

import (
	"bytes"
	"syscall"
	"testing"
)

// TestWritevAllocs: a vectored write of many buffers, as a batch of many
// streams' frames is, allocates nothing (x/sys/unix's Writev allocated its
// iovecs on every call), and the bytes arrive in order.
func TestWritevAllocs(t *testing.T) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	bufs := make([][]byte, 64)
	var want []byte
	for i := range bufs {
		bufs[i] = bytes.Repeat([]byte{byte(i)}, 16)
		want = append(want, bufs[i]...)
	}
	got := make([]byte, len(want))
	roundTrip := func() {
		if n, err := writev(fds[0], bufs); n != len(want) || err != nil {
			t.Fatalf("writev = %d, %v; want %d, nil", n, err, len(want))
		}
		for off := 0; off < len(got); {
			n, err := syscall.Read(fds[1], got[off:])
			if err != nil {
				t.Fatal(err)
			}
			off += n
		}
	}
	if allocs := testing.AllocsPerRun(100, roundTrip); allocs != 0 {
		t.Fatalf("%.1f allocations per writev of %d buffers; want none", allocs, len(bufs))
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the bytes written differ from the buffers")
	}
}
