package evloop

import (
	"errors"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// The event loop's part of the outbound side: it writes what feeding the
// session queued (window updates, ping replies) and what was queued before
// the session was set up, and it closes: on Close once everything is
// written (see closeGracefully), or at once when a write failed or the
// peer stopped reading. The writing itself is in direct.go.

const (
	// maxIov keeps each writev below the kernel's IOV_MAX (1024).
	maxIov = 512
	// minPollGap and maxPollGap bound how often a closing connection whose
	// last bytes wait for room looks again: soon while it drains, backing
	// off while it does not.
	minPollGap = time.Millisecond
	maxPollGap = 16 * time.Millisecond
)

var errPeerNotReading = errors.New("evloop: peer stopped reading: the socket took nothing for WriteTimeout")

// pump writes what the session has queued; once the session has asked for
// its transport to close, it waits for the last bytes to go and closes. It
// runs on the event loop, and goes again if another goroutine was writing
// and left the work to it (see writeOut).
func (d *loopDriver) pump(c gnet.Conn) gnet.Action {
	d.loopDue.Store(false) // a Wake from now on asks again
	for {
		if d.closeReq.Load() {
			d.outMu.Lock() // closing is the loop's work
		} else if !d.outMu.TryLock() {
			// A goroutine is writing: it goes again, and leaves to the
			// loop only what it cannot do. The loop never waits for it.
			d.more.Store(true)
			if !d.outMu.TryLock() {
				return gnet.None
			}
		}
		d.more.Store(false)
		act := d.pumpLocked(c)
		d.outMu.Unlock()
		if act != gnet.None || !d.more.Load() {
			return act
		}
	}
}

// pumpLocked is one pass of pump; outMu is held.
func (d *loopDriver) pumpLocked(c gnet.Conn) gnet.Action {
	if !d.abort {
		d.flushLocked()
		if err := d.failed; err != nil {
			d.abort, d.endErr = true, err // reported by OnClose
		}
	}
	if d.abort || d.closeReq.Load() {
		return d.closeGracefully(c)
	}
	return gnet.None
}

// closeGracefully finishes a closing connection (outMu is held): once the
// last bytes are written it half-closes the socket, so that the peer reads everything up to our
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
	switch {
	case d.rest != nil:
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
