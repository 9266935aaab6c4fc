package evloop

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// loopDriver is the event-loop driver of one session: a core.Driver over one
// gnet connection. No goroutine belongs to it: input is fed to the session
// on the connection's event loop (OnTraffic), output is written by the
// loop or by the goroutines its Listener or Client shares among all
// connections (see Wake and direct.go).
//
// Ownership: handler, gc, fd, eng, writer, laddr and raddr are set in
// OnOpen before ready and never change; mu guards closed, serialises what
// other goroutines hand to the loop and keeps the socket open during a
// write (see direct.go); outMu serialises the outbound side (Output, the
// write, Written) between the goroutines that write and guards the fields
// under it; ready, closeReq, feeding, more and loopDue are atomic; inHand
// is guarded by the writer's mu; every other field belongs to the event
// loop.
type loopDriver struct {
	handler      *loopHandler
	gc           gnet.Conn
	fd           int
	eng          *core.Engine
	writer       *writer
	laddr, raddr net.Addr

	mu       sync.Mutex
	closed   bool          // OnClose ran: the loop may be gone, hand it nothing
	ready    atomic.Bool   // the session is set up: writes may start
	closeReq atomic.Bool   // Close was called: write what is queued, then close
	feeding  atomic.Bool   // the loop is in Input and will flush right after
	more     atomic.Bool   // outMu was found held: its holder goes again
	loopDue  atomic.Bool   // the loop was asked to write and has not started
	heard    atomic.Bool   // input arrived since the last Wake
	opens    atomic.Uint64 // streams opened and accepted, as noneOpened last saw
	inHand   bool          // handed to the writer and not yet taken

	outMu      sync.Mutex
	rest       *[][]byte   // the part of a batch the socket has not taken yet
	failed     error       // a write failed, or the peer stopped reading
	tookAt     time.Time   // when the socket last took bytes
	stall      *time.Timer // checks on a held rest after WriteTimeout
	stallArmed bool        // stall is due to fire

	// event loop only
	carry      [frame.HeaderSize]byte // a partial frame header between reads
	carryN     int
	inDead     bool        // Input failed: discard what else arrives
	discarded  int         // bytes discarded since, at most ~maxDiscard
	abort      bool        // close without waiting for the last bytes
	endErr     error       // why the loop closed the connection itself, for ended
	poll       *time.Timer // calls the loop back while closing
	pollGap    time.Duration
	drainBy    time.Time // when a closing connection stops waiting
	halfClosed bool      // our side of the socket is shut down for writing
}

// errLoopClosed is the transport error of a session whose connection the
// event loop closed without being asked to (its Listener or Client was
// stopping).
var errLoopClosed = errors.New("evloop: connection closed by its event loop")

// Wake implements core.Driver: it has the session's queued frames written
// soon, and never blocks. While the loop is feeding the session (a ping to
// answer, a window update to send), the flush that follows the feeding
// serves the wake-up. Otherwise, for a session with at most one stream:
//
//   - if input arrived since the last Wake and no stream was opened or
//     accepted since the last look, the caller is answering the peer in an
//     established conversation and will likely wait for the reply: it
//     writes what is queued itself, at once (see writeOut);
//   - anything else (an open, writes back to back) is handed to the
//     writer, whose goroutine usually runs once the caller blocks, and
//     then writes everything queued until then at once: an open, its data
//     and its FIN, or many small writes, go out in one writev.
//
// A session with more streams is left to its event loop, which gnet wakes
// through its task queue (two allocations) once per batch: the loop takes
// a while to wake, and meanwhile the other streams' writes join the batch.
func (d *loopDriver) Wake() {
	switch {
	case d.feeding.Load():
	case !d.ready.Load():
		d.toLoop() // still in OnOpen: the loop flushes once it is set up
	case d.eng.Session().NumStreams() > 1:
		if d.loopDue.CompareAndSwap(false, true) {
			d.toLoop()
		}
	case d.heard.Swap(false) && d.noneOpened():
		d.writeOut()
	default:
		d.writer.hand(d)
	}
}

// noneOpened reports whether the session has opened or accepted no stream
// since it was last asked.
func (d *loopDriver) noneOpened() bool {
	st := d.eng.Session().Stats()
	n := st.StreamsOpened + st.StreamsAccepted
	return d.opens.Swap(n) == n
}

// Close implements core.Driver. It returns at once; on the event loop, the
// frames still queued are written, and the connection is closed once the
// socket has taken them and the peer has closed its side, or after the
// session's WriteTimeout (see closeGracefully).
func (d *loopDriver) Close() error {
	if d.closeReq.CompareAndSwap(false, true) {
		d.toLoop()
	}
	return nil
}

// LocalAddr implements core.Addresser.
func (d *loopDriver) LocalAddr() net.Addr { return d.laddr }

// RemoteAddr implements core.Addresser.
func (d *loopDriver) RemoteAddr() net.Addr { return d.raddr }

// toLoop makes the event loop run OnTraffic for this connection soon. Once
// the connection is closed it does nothing: its loop may have stopped, and
// gnet must not be handed tasks for a loop whose poller is closed.
func (d *loopDriver) toLoop() {
	d.mu.Lock()
	if !d.closed {
		// Wake only fails if the loop's wake-up descriptor does, and then
		// the loop is going down and will close the connection itself.
		_ = d.gc.Wake(nil)
	}
	d.mu.Unlock()
}

// opened is called on the event loop when gnet has set up c for d.
func (d *loopDriver) opened(c gnet.Conn) {
	d.gc = c
	d.fd = c.Fd()
	d.laddr = c.LocalAddr()
	d.raddr = c.RemoteAddr()
}

// traffic runs on the event loop whenever bytes arrived or Wake, Close or
// the poll timer asked for it: it feeds what arrived to the session, then
// writes what the session has queued.
func (d *loopDriver) traffic(c gnet.Conn) gnet.Action {
	if buf, _ := c.Peek(-1); len(buf) > 0 {
		if d.inDead {
			d.discarded += len(buf)
		} else {
			// Wake calls that see feeding set happen before it is cleared,
			// so the pump below finds what they queued.
			d.feeding.Store(true)
			d.feed(buf)
			d.feeding.Store(false)
			d.heard.Store(true)
		}
		// Everything is consumed or copied: gnet keeps no inbound bytes
		// for this connection between reads.
		c.Discard(len(buf))
		if d.discarded > maxDiscard {
			// The session is over and the peer keeps sending: stop
			// reading. Before closing, gnet writes what of its queue the
			// socket takes (normally our GoAway has gone out already).
			return gnet.Close
		}
	}
	return d.pump(c)
}

// ended is called on the event loop when gnet has closed the connection,
// whoever asked; err is why (nil if this side closed it).
func (d *loopDriver) ended(err error) {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.handler.waiter.forget(d)
	if d.poll != nil {
		d.poll.Stop()
	}
	d.outMu.Lock()
	if d.stall != nil {
		d.stall.Stop()
	}
	d.outMu.Unlock()
	switch {
	case d.endErr != nil:
		err = d.endErr
	case err == nil:
		err = errLoopClosed // harmless if the session has ended already
	}
	d.eng.Closed(err) // the one place the transport's end is reported
}
