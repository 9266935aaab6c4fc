package evloop

import "golang.org/x/sys/unix"

// Direct writes: the goroutine that wakes the driver (a Stream.Write, a
// Read returning credit, a timer) writes the session's queued frames to the
// socket itself, with one writev, instead of handing the work to the event
// loop. That saves the round trip through the loop's task queue, which
// costs a wake-up of the loop (it sleeps in epoll_wait, outside the Go
// scheduler) and, in gnet, two allocations per hand-off.
//
// Bytes must leave in order, so a direct write is only allowed while gnet
// holds nothing queued for the connection (direct): the loop clears it
// whenever gnet's queue is not empty, a batch is only partly written, or the
// connection is closing, and sets it again once a pump finds gnet's queue
// empty. A direct write that the socket does not take whole leaves the rest
// in rest and hands over to the loop, which writes it (gnet queues what the
// socket still refuses) before anything else. outMu serialises all of this
// with the loop's own flushes; a Wake that finds outMu held sets more, and
// whoever holds it goes again before letting go for good, so no wake-up is
// lost. mu is held across the system call: gnet closes the socket only
// after OnClose, which takes mu, so the descriptor cannot be closed (and
// reused) under a direct write.

// writeDirect writes what the session has queued from the calling
// goroutine. It reports false if the event loop must do it instead.
func (d *loopDriver) writeDirect() bool {
	d.more.Store(true)
	for d.more.Load() {
		if !d.outMu.TryLock() {
			return true // the holder sees more once it is done
		}
		d.more.Store(false)
		ok := d.flushDirect()
		d.outMu.Unlock()
		if !ok {
			return false
		}
	}
	return true
}

// flushDirect writes Output batches to the socket until the session has
// nothing more; outMu is held. It reports false, leaving the unwritten part
// of a batch in rest, when the loop must take over.
func (d *loopDriver) flushDirect() bool {
	if !d.direct {
		return false
	}
	vec := d.handler.getVec()
	for {
		*vec = d.eng.Output((*vec)[:0])
		if len(*vec) == 0 {
			d.handler.putVec(vec)
			return true
		}
		n, err := d.writeSocket(*vec)
		if err == errLoopClosed {
			// OnClose ran: the session has been told the transport ended.
			clear(*vec)
			d.handler.putVec(vec)
			d.eng.Written(err)
			return true
		}
		if *vec = skip(*vec, n); len(*vec) > 0 {
			// The socket is full, or failed: the loop writes the rest (and
			// meets the error, if any, on its own write).
			d.rest, d.direct = vec, false
			return false
		}
		d.eng.Written(nil)
	}
}

// writeSocket writes bufs (at most maxIov of them) to the socket and
// returns how many bytes it took; errLoopClosed if gnet has closed it.
func (d *loopDriver) writeSocket(bufs [][]byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, errLoopClosed
	}
	n, err := unix.Writev(d.fd, bufs[:min(len(bufs), maxIov)])
	return max(n, 0), err
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
