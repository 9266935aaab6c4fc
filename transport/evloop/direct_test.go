package evloop

import (
	"context"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// TestWriteRestLongBatch: a batch of more buffers than one writev takes
// (maxIov) goes out whole, with nothing else to prompt the rest: many
// streams opened at once, each with a short message, make such a batch,
// and a tail left behind would wait for input that may never come.
func TestWriteRestLongBatch(t *testing.T) {
	const streams = maxIov + 100
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	defer unix.Close(fds[0])
	if err := unix.SetNonblock(fds[0], true); err != nil { // as gnet's sockets
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fds[1]), "peer")
	peer, err := net.FileConn(f) // a duplicate: f is closed right away
	f.Close()
	if err != nil {
		t.Fatalf("FileConn: %v", err)
	}
	defer peer.Close()

	set, err := resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := startWriteWaiter()
	if err != nil {
		t.Fatal(err)
	}
	h := newLoopHandler(set, core.RoleClient, w)
	defer h.stopWriting()
	sc := core.DefaultConfig()
	sc.KeepAliveInterval = 0
	eng, err := core.NewEngine(nopDriver{}, core.RoleClient, sc) // Output is called below
	if err != nil {
		t.Fatal(err)
	}
	defer closeEngine(eng)
	d := &loopDriver{handler: h, eng: eng, fd: fds[0]}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	msg := []byte("a short message")
	for range streams {
		st, err := eng.Session().OpenStream(ctx)
		if err != nil {
			t.Fatalf("OpenStream: %v", err)
		}
		if _, err := st.Write(msg); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	vec := h.getVec()
	*vec = eng.Output(*vec)
	if len(*vec) <= maxIov {
		t.Fatalf("the batch has %d buffers; the test needs more than %d", len(*vec), maxIov)
	}
	d.outMu.Lock()
	d.rest = vec
	all := d.writeRest()
	d.outMu.Unlock()
	if !all || d.rest != nil {
		t.Fatalf("writeRest = %v with %d buffers still held; want the whole batch written", all, len(*d.rest))
	}
	want := streams * (frame.HeaderSize + len(msg))
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := io.ReadFull(peer, make([]byte, want)); err != nil {
		t.Fatalf("the peer read %d of %d bytes: %v", n, want, err)
	}
}
