package core

import (
	"io"
	"syscall"

	"github.com/netmux/netmux/core/frame"
	"github.com/netmux/netmux/internal/vecio"
)

// sockReader is the goroutine driver's state for reading the socket
// itself: every read goes through raw under the driver's sys lock, and
// payloads go straight to where they go with readv(2) (see
// goroutineDriver.readDirect). Owned by the read role's holder.
type sockReader struct {
	fn     func(fd uintptr) bool // readvOnce, bound once
	readFn func(fd uintptr) bool // readOnce, bound once
	p      []byte                // readOnce's argument
	bufs   [][]byte
	vecs   []syscall.Iovec
	lead   *wakeup // the leader reading, if any: see readvOnce
	// the callbacks' results
	did bool  // readvOnce read (or failed), rather than finding no payload to read
	n   int   // bytes that landed in the read buffer (after the payload, for readvOnce)
	err error // the read's error
}

// sockReader returns the read role's socket state, made at the first use.
func (d *goroutineDriver) sockReader() *sockReader {
	if d.sr == nil {
		d.sr = &sockReader{fn: d.readvOnce, readFn: d.readOnce}
	}
	return d.sr
}

// read reads the transport into p, like its Read.
func (d *goroutineDriver) read(p []byte) (int, error) {
	if !d.direct {
		return d.conn.Read(p)
	}
	r := d.sockReader()
	r.p, r.n, r.err = p, 0, nil
	err := d.raw.Read(r.readFn)
	r.p = nil
	switch {
	case err != nil:
		return 0, err
	case r.err == nil && r.n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return r.n, r.err
}

// readOnce is read's callback: one read(2) under the sys lock. It asks to
// wait (false) when the socket has nothing.
func (d *goroutineDriver) readOnce(fd uintptr) bool {
	r := d.sr
	for {
		d.sys.Lock()
		n, err := syscall.Read(int(fd), r.p)
		d.sys.Unlock()
		switch err {
		case nil:
			r.n = n
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		default:
			r.err = d.sockError("read", err)
		}
		return true
	}
}

// sockWriter is the goroutine driver's state for writing to the socket,
// every write through raw under the driver's sys lock: the writer
// goroutine's batches (writeAll), inline writes (tryWrite) and direct ones
// (writeDirect). Owned by the writer role's holder.
type sockWriter struct {
	tryFn func(fd uintptr) bool // tryOnce, bound once
	vecFn func(fd uintptr) bool // writevOnce, bound once
	allFn func(fd uintptr) bool // writevAll, bound once
	try   []byte                // tryOnce's argument
	rest  [][]byte              // writevAll's argument: what is left to write
	hdrs  []byte                // the frame headers of a direct write
	vecs  []syscall.Iovec
	// the callbacks' results
	n   int
	err error
}

func (d *goroutineDriver) newSockWriter() *sockWriter {
	return &sockWriter{tryFn: d.tryOnce, vecFn: d.writevOnce, allFn: d.writevAll}
}

// writeAll writes bufs whole with writev(2), waiting for room in the
// socket as its Write would.
func (d *goroutineDriver) writeAll(bufs [][]byte) error {
	if d.sw == nil {
		d.sw = d.newSockWriter()
	}
	w := d.sw
	w.rest, w.err = bufs, nil
	err := d.raw.Write(w.allFn)
	w.rest = nil
	if err == nil {
		err = w.err
	}
	return err
}

// writevAll is writeAll's callback: writev(2) calls under the sys lock
// until everything is written (true), the socket is full (false: wait for
// room) or a call fails.
func (d *goroutineDriver) writevAll(fd uintptr) bool {
	w := d.sw
	for len(w.rest) > 0 {
		var n int
		var errno syscall.Errno
		n, errno, w.vecs = d.vecCall(syscall.SYS_WRITEV, fd, w.rest, w.vecs)
		switch errno {
		case 0:
		case syscall.EAGAIN:
			return false
		default:
			w.err = d.sockError("writev", errno)
			return true
		}
		for n > 0 {
			if n < len(w.rest[0]) {
				w.rest[0] = w.rest[0][n:]
				break
			}
			n -= len(w.rest[0])
			w.rest = w.rest[1:]
		}
	}
	return true
}

// vecCall is vecio.Call under the sys lock.
func (d *goroutineDriver) vecCall(trap, fd uintptr, bufs [][]byte, vecs []syscall.Iovec) (int, syscall.Errno, []syscall.Iovec) {
	d.sys.Lock()
	defer d.sys.Unlock()
	return vecio.Call(trap, fd, bufs, vecs)
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
	n, errno, w.vecs = d.vecCall(syscall.SYS_WRITEV, fd, d.bufs, w.vecs)
	switch errno {
	case 0:
		w.n = n
	case syscall.EAGAIN:
	default:
		w.err = d.sockError("writev", errno)
	}
	return true
}

// readvOnce is readDirect's callback: one non-blocking readv(2) of the
// payload space Session.payloadSpace hands out, followed by room for the
// next header. It asks to wait (false) when the socket has nothing.
func (d *goroutineDriver) readvOnce(fd uintptr) bool {
	r, s := d.sr, d.eng.s
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
	n, errno, r.vecs = d.vecCall(syscall.SYS_READV, fd, r.bufs, r.vecs)
	clear(r.bufs) // keep no reference to a Read's buffer
	if errno != 0 {
		s.payloadRead(0)
		if errno == syscall.EAGAIN {
			return false // wait until the socket is readable, then look again
		}
		r.did, r.err = true, d.sockError("readv", errno)
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
