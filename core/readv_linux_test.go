package core

import (
	"bytes"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/netmux/netmux/internal/vecio"
)

// On Linux every system call on a socket goes through the raw connection
// (readv_linux.go); elsewhere the socket's own Read and Write are used.

// The writer goroutine's batches go to a socket through writeAll, one
// writev(2) after another under the driver's lock: a batch of more
// buffers than one writev takes, into a socket that keeps filling up,
// arrives whole and in order.
func TestWriteAllManyBuffersFullSocket(t *testing.T) {
	c, s := loopbackTCP(t)
	s.(*net.TCPConn).SetWriteBuffer(4 << 10)
	d := &goroutineDriver{conn: s}
	d.initDirect(s.(syscall.Conn))
	var bufs [][]byte
	var want []byte
	for i := 0; len(bufs) < 3*vecio.MaxBufs; i++ {
		b := pattern(1 + i%700)
		bufs = append(bufs, b)
		want = append(want, b...)
	}
	done := make(chan []byte, 1)
	go func() {
		c.SetReadDeadline(time.Now().Add(roleTimeout))
		got := make([]byte, len(want))
		n, err := io.ReadFull(c, got)
		if err != nil {
			t.Error(err)
		}
		done <- got[:n]
	}()
	if err := d.writeAll(bufs); err != nil {
		t.Fatal(err)
	}
	if got := <-done; !bytes.Equal(got, want) {
		t.Fatalf("peer read %d bytes, not the %d written (or out of order)", len(got), len(want))
	}
}

// A socket read through the raw connection reports its errors as the
// socket's own Read would: a *net.OpError with both addresses, matching
// the system's error.
func TestSocketReadErrorAsConnRead(t *testing.T) {
	c, s := loopbackTCP(t)
	d := &goroutineDriver{conn: s}
	d.initDirect(s.(syscall.Conn))
	c.(*net.TCPConn).SetLinger(0) // close with a reset
	c.Close()
	s.SetReadDeadline(time.Now().Add(roleTimeout))
	_, err := d.read(make([]byte, 16))
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Source == nil || oe.Addr == nil || !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read after the peer's reset: %v (%T); want a *net.OpError with addresses matching ECONNRESET", err, err)
	}
}
