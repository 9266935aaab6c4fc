package core

import (
	"io"
	"os"
	"syscall"

	"github.com/netmux/netmux/core/frame"
	"github.com/netmux/netmux/internal/vecio"
)

// directReader is the goroutine driver's state for reading payloads
// straight to where they go with readv(2) (see goroutineDriver.readDirect).
// Owned by the read role's holder.
type directReader struct {
	fn   func(fd uintptr) bool // readvOnce, bound once
	bufs [][]byte
	vecs []syscall.Iovec
	lead *wakeup // the leader reading, if any: see readvOnce
	// readvOnce's results
	did bool  // it read (or failed), rather than finding no payload to read
	n   int   // bytes that landed in the read buffer after the payload
	err error // the read's error
}

func (d *goroutineDriver) newDirectReader() *directReader {
	return &directReader{fn: d.readvOnce}
}

// sockWriter is the goroutine driver's state for writing to the socket
// from the goroutine that has the data: inline writes (tryWrite) and
// direct ones (writeDirect). Owned by the writer role's holder.
type sockWriter struct {
	tryFn func(fd uintptr) bool // tryOnce, bound once
	vecFn func(fd uintptr) bool // writevOnce, bound once
	try   []byte                // tryOnce's argument
	hdrs  []byte                // the frame headers of a direct write
	vecs  []syscall.Iovec
	// the callbacks' results
	n   int
	err error
}

func (d *goroutineDriver) newSockWriter() *sockWriter {
	return &sockWriter{tryFn: d.tryOnce, vecFn: d.writevOnce}
}

// initDirect enables direct payload reads and writes on the socket c.
func (d *goroutineDriver) initDirect(c syscall.Conn) {
	d.raw = rawConn(c)
	d.direct = d.raw != nil
}

// writevOnce is writeDirect's callback: one non-blocking writev(2) of
// d.bufs. It never asks to wait: a full socket writes 0.
func (d *goroutineDriver) writevOnce(fd uintptr) bool {
	w := d.sw
	var n int
	var errno syscall.Errno
	n, errno, w.vecs = vecio.Call(syscall.SYS_WRITEV, fd, d.bufs, w.vecs)
	switch errno {
	case 0:
		w.n = n
	case syscall.EAGAIN:
	default:
		w.err = os.NewSyscallError("writev", errno)
	}
	return true
}

// readvOnce is readDirect's callback: one non-blocking readv(2) of the
// payload space Session.payloadSpace hands out, followed by room for the
// next header. It asks to wait (false) when the socket has nothing.
func (d *goroutineDriver) readvOnce(fd uintptr) bool {
	r, s := d.dr, d.eng.s
	r.bufs = s.payloadSpace(r.bufs[:0])
	if len(r.bufs) == 0 {
		return true // no payload to read straight through (any more)
	}
	space := 0
	for _, b := range r.bufs {
		space += len(b)
	}
	r.bufs = append(r.bufs, d.rbuf[:frame.HeaderSize])
	var n int
	var errno syscall.Errno
	n, errno, r.vecs = vecio.Call(syscall.SYS_READV, fd, r.bufs, r.vecs)
	clear(r.bufs) // keep no reference to a Read's buffer
	if errno != 0 {
		s.payloadRead(0)
		if errno == syscall.EAGAIN {
			return false // wait until the socket is readable, then look again
		}
		r.did, r.err = true, os.NewSyscallError("readv", errno)
		return true
	}
	if k := r.lead; k != nil && n > 0 {
		// The read is over: delivering may notify the leader itself,
		// which must not interrupt its next read for nothing.
		k.leader.Store(nil)
	}
	got := min(n, space)
	s.payloadRead(got)
	r.did, r.n = true, n-got
	if n == 0 {
		r.err = io.EOF
	}
	return true
}
