package tunnel

import (
	"io"
	"net"
	"sync"
)

// copyBufSize is the copy buffer size: one default netmux frame.
const copyBufSize = 64 << 10

var copyBufs = sync.Pool{New: func() any { return new([copyBufSize]byte) }}

// halfCloser is a connection whose write side closes on its own: TCP and
// netmux streams both are.
type halfCloser interface{ CloseWrite() error }

// resetter is a connection that can be aborted: a netmux stream (RST).
type resetter interface{ Reset() error }

// pipe copies a to b and b to a until both directions end, then closes both.
// When one side's reads end cleanly its EOF is passed on as a half-close of
// the other side's writes, and the opposite direction goes on. If either
// direction fails, both connections are aborted (RST) and pipe returns
// that first error.
func pipe(a, b net.Conn) error {
	var (
		once  sync.Once
		first error
	)
	fail := func(err error) {
		once.Do(func() {
			first = err
			abort(a)
			abort(b)
		})
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := copyHalf(b, a); err != nil {
			fail(err)
		}
	})
	if err := copyHalf(a, b); err != nil {
		fail(err)
	}
	wg.Wait()
	a.Close()
	b.Close()
	return first
}

// copyHalf copies src to dst until src's EOF, then half-closes dst.
func copyHalf(dst, src net.Conn) error {
	buf := copyBufs.Get().(*[copyBufSize]byte)
	defer copyBufs.Put(buf)
	// Hide ReadFrom/WriteTo so the pooled buffer is the one used.
	if _, err := io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, buf[:]); err != nil {
		return err
	}
	if hc, ok := dst.(halfCloser); ok {
		return hc.CloseWrite()
	}
	return nil
}

// abort closes c so that its peer learns of the failure: a stream is
// reset, a TCP connection is closed with RST.
func abort(c net.Conn) {
	switch c := c.(type) {
	case resetter:
		c.Reset()
	case *net.TCPConn:
		c.SetLinger(0)
		c.Close()
	default:
		c.Close()
	}
}
