package evloop

import (
	"errors"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// Outbound: every wake-up writes whole Output batches with one vectored
// write each (gnet's Writev, on the event loop, which writes what the
// socket takes and copies the rest into gnet's outbound queue), so Written
// can be called as soon as Writev returns.
//
// gnet's outbound queue is unbounded and gnet says nothing when it drains,
// so the driver bounds it itself: past Config.MaxOutboundBuffer it stops
// taking frames from the session (Write then waits at the session's
// MaxSendBuffer, and control frames keep their place ahead of data) and
// polls the queue with a timer, and whenever bytes arrive, until it
// shrinks; each poll has gnet write what the socket takes (see push). If
// it does not shrink at all for the session's WriteTimeout, the peer has
// stopped reading and the session ends. A closing connection polls the
// same way until the queue is empty, then half-closes and waits for the
// peer to close (see drain), all within WriteTimeout.

const (
	// maxIov keeps each Writev below the kernel's IOV_MAX (1024).
	maxIov = 512
	// minPollGap and maxPollGap bound how often a connection waiting on
	// gnet's queue looks at it again: soon while it drains, backing off
	// while it does not.
	minPollGap = time.Millisecond
	maxPollGap = 16 * time.Millisecond
)

var errPeerNotReading = errors.New("evloop: peer stopped reading: outbound queue full and not draining for WriteTimeout")

// pump writes what the session has queued; once the session has asked for
// its transport to close, it drains gnet's queue and closes. It runs on the
// event loop, and goes again if a Wake came meanwhile and left the work to
// it (see writeDirect).
func (d *loopDriver) pump(c gnet.Conn) gnet.Action {
	for {
		d.outMu.Lock()
		d.more.Store(false)
		act := d.pumpLocked(c)
		d.outMu.Unlock()
		if act != gnet.None || !d.more.Load() {
			return act
		}
	}
}

// pumpLocked is one pass of pump; outMu is held. Direct writes are allowed
// afterwards only if gnet's queue is empty and the connection is not
// closing.
func (d *loopDriver) pumpLocked(c gnet.Conn) gnet.Action {
	d.direct = false
	closing := d.closeReq.Load()
	if !d.abort {
		paused, ok := d.flush(c, closing)
		if !ok {
			return gnet.None // the write failed and gnet has closed c
		}
		if paused {
			if !d.push(c) {
				return gnet.None
			}
			if d.stalled(c) {
				d.abort = true
				d.eng.Closed(errPeerNotReading)
				return gnet.Close
			}
			d.schedulePoll(d.pollGap)
			return gnet.None
		}
		d.stallAt = time.Time{}
	}
	if closing {
		return d.closeGracefully(c)
	}
	d.direct = c.OutboundBuffered() == 0
	return gnet.None
}

// flush hands gnet what a direct write left, then Output batches until the
// session has nothing more or, unless force is set, gnet's queue is at its
// bound (paused); outMu is held. ok is false if a write failed: gnet has
// then closed the connection.
func (d *loopDriver) flush(c gnet.Conn, force bool) (paused, ok bool) {
	if d.rest != nil {
		// What a direct write left goes first.
		err := d.writev(c, *d.rest)
		clear(*d.rest)
		d.handler.putVec(d.rest)
		d.rest = nil
		d.eng.Written(err)
		if err != nil {
			return false, false
		}
	}
	vec := d.handler.getVec()
	defer d.handler.putVec(vec)
	for {
		if !force && c.OutboundBuffered() >= d.handler.set.maxOutbound {
			return true, true
		}
		*vec = d.eng.Output((*vec)[:0])
		if len(*vec) == 0 {
			return false, true
		}
		err := d.writev(c, *vec)
		clear(*vec)
		d.eng.Written(err)
		if err != nil {
			return false, false
		}
	}
}

// writev writes one batch in order, in slices of at most maxIov buffers.
func (d *loopDriver) writev(c gnet.Conn, bufs [][]byte) error {
	for len(bufs) > 0 {
		n := min(len(bufs), maxIov)
		m, err := c.Writev(bufs[:n])
		if err != nil {
			return err
		}
		d.pushed += m
		bufs = bufs[n:]
	}
	return nil
}

// push has gnet write from its outbound queue whatever the socket takes
// now. gnet does so by itself only when the socket reports room, which the
// kernel does once a third or so of the socket's buffer (up to MiBs) is
// free: a peer reading a steady but slow trickle takes many WriteTimeouts
// to free that much, so without push its progress would not show in
// gnet's queue. push reports false if the write failed: gnet has then
// closed c.
func (d *loopDriver) push(c gnet.Conn) bool {
	_ = c.Flush() // nil even when gnet closed c: ask the connection instead
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.closed
}

// stalled reports whether gnet's queue, full, has not shrunk for the
// session's WriteTimeout; call it after push, so that every byte the peer
// has taken shows as the queue shrinking. It also sets the next poll's
// delay.
func (d *loopDriver) stalled(c gnet.Conn) bool {
	now := time.Now()
	out := c.OutboundBuffered()
	moved := out < d.lastOut+d.pushed // the socket took some bytes
	d.lastOut, d.pushed = out, 0
	switch {
	case d.stallAt.IsZero() || moved:
		d.stallAt = now
		d.pollGap = minPollGap
	default:
		d.pollGap = min(2*d.pollGap, maxPollGap)
	}
	return now.Sub(d.stallAt) >= d.handler.set.sess.WriteTimeout
}

// closeGracefully finishes a closing connection: once gnet's queue is empty it
// half-closes the socket, so that the peer reads everything up to our
// GoAway and then end-of-stream, and waits for the peer to close its side
// (what still arrives is discarded), then closes. Closing at once instead
// would make the kernel reset the connection if more bytes arrive, and a
// reset can destroy data the peer has received but not yet read. Both
// waits together are bounded by the session's WriteTimeout.
func (d *loopDriver) closeGracefully(c gnet.Conn) gnet.Action {
	if d.abort {
		return gnet.Close
	}
	now := time.Now()
	if d.drainBy.IsZero() {
		d.drainBy = now.Add(d.handler.set.sess.WriteTimeout)
		d.pollGap = minPollGap
	}
	left := d.drainBy.Sub(now)
	if left <= 0 {
		return gnet.Close
	}
	if !d.push(c) {
		return gnet.None
	}
	switch {
	case c.OutboundBuffered() > 0:
		d.schedulePoll(min(d.pollGap, left))
		d.pollGap = min(2*d.pollGap, maxPollGap)
		return gnet.None
	case !d.halfClosed:
		if unix.Shutdown(c.Fd(), unix.SHUT_WR) != nil {
			return gnet.Close
		}
		d.halfClosed = true
	}
	// Wait for the peer's end-of-stream, which makes gnet close the
	// connection, or for the deadline.
	d.schedulePoll(left)
	return gnet.None
}

// schedulePoll calls the event loop back for this connection after gap.
func (d *loopDriver) schedulePoll(gap time.Duration) {
	if d.poll == nil {
		d.poll = time.AfterFunc(gap, d.toLoop)
		return
	}
	d.poll.Reset(gap)
}
