package evloop

import (
	"time"

	"golang.org/x/sys/unix"
)

// Writing: the session's queued frames go to the socket with one writev
// per Output batch, from whichever goroutine has the work (see Wake): the
// goroutine answering input in a session with one stream, the Listener's
// or Client's writer for the other writes of such sessions, the
// connection's event loop for busier sessions and after feeding the
// session input, the writeWaiter once a full socket has room again. gnet's
// outbound queue is never used: it would copy every byte and allocate on
// every write.
//
// A batch the socket does not take whole stays with the driver (rest): the
// session's buffers are held, not copied, until the socket has taken them,
// so the session's MaxSendBuffer is what bounds output and Write waits
// there. The writeWaiter watches the socket and, once it has room, writes
// the rest and whatever the session queued meanwhile, in order.
//
// outMu serialises the outbound side (Output, the write, Written) between
// all these goroutines. One that finds it held sets more, and whoever
// holds it goes again before letting go for good, so no wake-up is lost.
// mu is held across each system call: gnet closes the socket only after
// OnClose, which takes mu, so the descriptor cannot be closed (and reused)
// under a write.
//
// A socket that takes nothing at all for the session's WriteTimeout means
// the peer stopped reading: a timer, armed while a rest is held, then
// tries a write itself (the kernel reports room only once a third or so of
// the socket's buffer is free, which a slow but steady reader may take
// many seconds to free, so waiting for the writeWaiter alone would take a
// slow reader for a stalled one) and ends the session if even that takes
// nothing.

// writeOut writes what the session has queued from the calling goroutine
// (one answering input, the writer or the writeWaiter), and has the event
// loop take over if a write failed or the peer stopped reading.
func (d *loopDriver) writeOut() {
	d.more.Store(true)
	for d.more.Load() {
		if !d.outMu.TryLock() {
			return // the holder sees more once it is done
		}
		d.more.Store(false)
		ok := d.flushLocked()
		d.outMu.Unlock()
		if !ok {
			d.toLoop()
			return
		}
	}
}

// flushLocked writes what a previous write left, then Output batches,
// until the session has nothing more or the socket is full (the rest is
// then held and the writeWaiter armed); outMu is held. It reports false if
// the event loop must act: the session is not set up yet, a write failed,
// or the peer stopped reading.
func (d *loopDriver) flushLocked() bool {
	if !d.ready.Load() || d.failed != nil {
		return false
	}
	if d.rest != nil && !d.writeRest() {
		return d.failed == nil
	}
	for {
		vec := d.handler.getVec()
		*vec = d.eng.Output((*vec)[:0])
		if len(*vec) == 0 {
			d.handler.putVec(vec)
			return true
		}
		d.rest = vec
		if !d.writeRest() {
			return d.failed == nil
		}
	}
}

// writeRest writes the held batch, maxIov buffers per writev, and once it
// has all gone releases it with Written. It reports whether it all went;
// if not, the socket is full and the rest is held, with the writeWaiter
// watching the socket, or the write failed (d.failed).
func (d *loopDriver) writeRest() bool {
	bufs := *d.rest
	var err error
	for len(bufs) > 0 && err == nil {
		var n int
		var full bool
		n, full, err = d.writeSocket(bufs)
		if n > 0 {
			d.tookAt = time.Now()
		}
		if bufs = skip(bufs, n); full && err == nil {
			*d.rest = bufs
			d.watchStall()
			return false
		}
	}
	d.handler.putVec(d.rest)
	d.rest = nil
	if err != nil {
		d.failed = err
	}
	d.eng.Written(err)
	return err == nil
}

// writeSocket writes bufs (at most maxIov of them) with one writev and
// returns how many bytes the socket took; full means it took less than it
// was offered for want of room, and the writeWaiter watches it. err is a
// failed write, or errLoopClosed once gnet has closed the socket.
func (d *loopDriver) writeSocket(bufs [][]byte) (n int, full bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, false, errLoopClosed
	}
	bufs = bufs[:min(len(bufs), maxIov)]
	n, err = writev(d.fd, bufs)
	switch {
	case err == unix.EAGAIN || err == unix.EINTR:
		n, err = 0, nil
	case err != nil:
		return 0, false, err
	}
	want := 0
	for _, b := range bufs {
		want += len(b)
	}
	if n == want {
		return n, false, nil
	}
	return n, true, d.handler.waiter.arm(d.fd)
}

// watchStall arms the stall timer, if it is not armed, for the held rest;
// outMu is held.
func (d *loopDriver) watchStall() {
	if d.stallArmed {
		return
	}
	d.stallArmed = true
	wait := d.handler.set.sess.WriteTimeout
	if d.stall == nil {
		d.stall = time.AfterFunc(wait, d.checkStall)
		return
	}
	d.stall.Reset(wait)
}

// checkStall runs on the stall timer: if a rest is still held, it tries to
// write it (and what follows), and ends the session if the socket has taken
// nothing for WriteTimeout.
func (d *loopDriver) checkStall() {
	d.outMu.Lock()
	d.stallArmed = false
	ok := d.flushLocked()
	if ok && d.rest != nil {
		if left := d.handler.set.sess.WriteTimeout - time.Since(d.tookAt); left > 0 {
			d.stallArmed = true
			d.stall.Reset(left)
		} else {
			d.failed, ok = errPeerNotReading, false
		}
	}
	d.outMu.Unlock()
	if !ok {
		d.toLoop()
	}
}

// skip drops the first n bytes of bufs, in place, and returns what is left.
func skip(bufs [][]byte, n int) [][]byte {
	i := 0
	for ; i < len(bufs) && n >= len(bufs[i]); i++ {
		n -= len(bufs[i])
	}
	if i < len(bufs) {
		bufs[i] = bufs[i][n:]
	}
	m := copy(bufs, bufs[i:])
	clear(bufs[m:])
	return bufs[:m]
}
