package core

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netmux/netmux/core/frame"
	"github.com/netmux/netmux/core/internal/flow"
	"github.com/netmux/netmux/core/internal/ring"
)

// Stream is one logical, bidirectional stream of a session. It is a
// net.Conn, deadlines included, plus CloseWrite (half-close) and Reset.
// Reads and writes may run concurrently with each other; concurrent Reads
// (or Writes) are serialised.
type Stream struct {
	// Ownership: the receive half (ring consumer side, flow) belongs to
	// the reader under readMu; the ring's producer side to the session's
	// inbound dispatcher; tx to the session's send queue; acked and
	// inBacklog to sess.tbl; state, credit and the deadlines are safe for
	// concurrent use.
	id    uint32
	sess  *Session
	state atomic.Uint32 // st* bits

	// receive half
	readMu sync.Mutex
	ring   ring.Ring
	flow   flow.Receiver
	credit flow.RecvCredit // bytes the peer may still send us
	rw     waiter          // where Read blocks

	// send half
	writeMu sync.Mutex // serialises Write
	tx      txState    // queued frames and credit, owned by sess.tx
	ww      waiter     // where Write blocks

	io        ioPattern // request/response detection, for the driver's fast paths
	acked     bool      // the peer acknowledged our SYN (streams we opened)
	inBacklog bool      // in the accept backlog, not accepted yet

	// lingering resets the stream if the peer's FIN does not follow our
	// Close within StreamCloseTimeout; stopped when the stream leaves.
	lingering atomic.Pointer[time.Timer]
}

// Stream state bits.
const (
	stFinSent    = 1 << iota // our FIN is queued: no more writes
	stFinRecv                // the peer's FIN arrived: reads end with io.EOF
	stReset                  // reset by either side: writes fail
	stRecvReset              // reads fail too (every reset but a peer's RST after its FIN)
	stReadClosed             // Close was called: no more reads
	stCutOff                 // the session ended
	stRemoved                // left the session's table
)

// ioPattern tells how a stream is used: request/response (a Read that
// returns data, then a Write, again and again) or read in bulk (Reads that
// return data, one after another). Only on such a stream does the
// application come back soon to read (and, request/response, to write
// after it read), so only there does its goroutine gain from reading (and
// writing) the transport itself; on a stream that only sends, or opens,
// exchanges once and closes, doing so costs more than it saves (small
// writes no longer coalesce, the reader goroutine is woken to take the
// reading back).
type ioPattern struct{ v atomic.Uint32 }

const (
	ioReadLast = 1           // the last Read or Write was a Read that returned data
	ioRound    = 2           // one Read-then-Write, counted in bits 1-2
	ioShown    = 2 * ioRound // request/response shown
	ioRounds   = 3 * ioRound // the bits of the count of rounds
	ioRun      = 8           // one Read after a Read, counted in bits 3-4 until a Write
	ioRunShown = 2 * ioRun   // read in bulk
	ioRuns     = 3 * ioRun   // the bits of the count of Reads after a Read
)

// read records a Read that returned data.
func (p *ioPattern) read() {
	for {
		old := p.v.Load()
		v := old | ioReadLast
		if old&ioReadLast != 0 {
			if old&ioRuns >= ioRunShown {
				return
			}
			v += ioRun
		}
		if p.v.CompareAndSwap(old, v) {
			return
		}
	}
}

// write records a Write and reports whether it follows a Read on a stream
// that has shown request/response: then the Write may write inline.
func (p *ioPattern) write() bool {
	for {
		old := p.v.Load()
		if old&ioReadLast == 0 {
			return false
		}
		v := old &^ (ioReadLast | ioRuns)
		if v&ioRounds < ioShown {
			v += ioRound
		}
		if p.v.CompareAndSwap(old, v) {
			return old&ioRounds >= ioShown
		}
	}
}

// shown reports whether the stream is used request/response or read in
// bulk: then its Reads may lead the session's reading.
func (p *ioPattern) shown() bool {
	v := p.v.Load()
	return v&ioRounds >= ioShown || v&ioRuns >= ioRunShown
}

func newStream(s *Session, id uint32) *Stream {
	st := &Stream{id: id, sess: s, tx: newTxState()}
	st.credit.Init(frame.InitialWindow)
	st.flow.Init(frame.InitialWindow, uint32(s.cfg.MaxStreamWindow), s.budget)
	return st
}

// ID returns the stream id: odd if the client opened it, even if the server.
func (st *Stream) ID() uint32 { return st.id }

// Session returns the session the stream belongs to.
func (st *Stream) Session() *Session { return st.sess }

// opener reports whether this side opened the stream.
func (st *Stream) opener() bool { return st.id&1 == 1 == (st.sess.role == RoleClient) }

// LocalAddr returns the session transport's local address.
func (st *Stream) LocalAddr() net.Addr { return st.sess.LocalAddr() }

// RemoteAddr returns the session transport's remote address.
func (st *Stream) RemoteAddr() net.Addr { return st.sess.RemoteAddr() }

// SetDeadline sets the read and write deadlines; see net.Conn.
func (st *Stream) SetDeadline(t time.Time) error {
	st.rw.setDeadline(t)
	st.ww.setDeadline(t)
	return nil
}

// SetReadDeadline sets the deadline for pending and future Reads; a zero t
// clears it. Past it, Read fails with an error matching
// os.ErrDeadlineExceeded whose Timeout() is true.
func (st *Stream) SetReadDeadline(t time.Time) error { st.rw.setDeadline(t); return nil }

// SetWriteDeadline sets the deadline for pending and future Writes; a zero
// t clears it. A Write that times out returns how many bytes it queued;
// nothing of the rest stays queued.
func (st *Stream) SetWriteDeadline(t time.Time) error { st.ww.setDeadline(t); return nil }

// CloseWrite half-closes the stream: a FIN follows the data already
// written; reading goes on until the peer's FIN (io.EOF). It does not wait.
func (st *Stream) CloseWrite() error {
	old, queued := st.sess.tx.fin(st)
	if !queued {
		if old&stFinSent != 0 {
			return nil
		}
		return st.stateErr(old)
	}
	st.sess.tx.kick()
	st.ww.notify() // a Write blocked on credit now fails
	st.maybeRemove()
	return nil
}

// Close closes both directions: pending and future Reads and Writes fail
// with ErrStreamClosed. Data already written is still sent, followed by a
// FIN: Close never drops it. If inbound data was left unread, or arrives
// later, an RST follows the FIN so that the peer stops sending (as TCP
// does); the peer still reads everything up to the FIN. With nothing
// unread the stream waits up to StreamCloseTimeout for the peer's FIN,
// then resets. Close is idempotent.
func (st *Stream) Close() error {
	old := st.setState(stReadClosed)
	if old&stReadClosed != 0 {
		return nil
	}
	st.rw.notify()
	st.readMu.Lock() // a Read in progress sees stReadClosed and returns
	unread := st.ring.Discard()
	st.readMu.Unlock()
	if old&(stReset|stCutOff) != 0 {
		return nil
	}
	st.CloseWrite()
	if unread > 0 {
		st.resetAfterFin()
		return nil
	}
	if d := st.sess.cfg.StreamCloseTimeout; d > 0 && st.state.Load()&(stFinRecv|stRemoved) == 0 {
		st.lingering.Store(time.AfterFunc(d, func() { st.reset(true) }))
		if st.state.Load()&stRemoved != 0 {
			st.stopLingering() // the FIN came in meanwhile
		}
	}
	return nil
}

// stopLingering cancels the close timeout, if any.
func (st *Stream) stopLingering() {
	if t := st.lingering.Swap(nil); t != nil {
		t.Stop()
	}
}

// Reset aborts the stream both ways with RST: queued data is dropped, and
// reads and writes on either side fail with ErrStreamReset.
func (st *Stream) Reset() error {
	st.reset(true)
	return nil
}

// reset marks the stream reset, dropping its queued data; if local, it also
// tells the peer. A peer's RST after its FIN leaves what arrived before the
// FIN readable.
func (st *Stream) reset(local bool) {
	bits := uint32(stReset | stRecvReset)
	if !local && st.state.Load()&stFinRecv != 0 {
		bits = stReset // the dispatcher, which sets stFinRecv, calls us
	}
	old := st.setState(bits)
	if old&(stReset|stCutOff) != 0 {
		return
	}
	// A stream we opened whose SYN never left needs no RST: the peer
	// never heard of it.
	if peerKnows := st.sess.tx.drop(st); local && peerKnows {
		st.sess.rst(st.id)
	}
	st.rw.notify()
	st.ww.notify()
	if bits&stRecvReset != 0 && st.readMu.TryLock() {
		st.ring.Discard()
		st.readMu.Unlock()
	}
	st.maybeRemove()
}

// resetAfterFin ends a stream closed with Close whose inbound data went
// unread: an RST is queued behind the data and FIN already queued (never
// ahead of them, as a control frame would be), so the peer keeps what we
// sent and stops sending.
func (st *Stream) resetAfterFin() {
	if !st.sess.tx.resetAfterFin(st) {
		return
	}
	st.sess.tx.kick()
	st.stopLingering()
	st.ww.notify()
	st.maybeRemove()
}

// sessionEnded cuts the stream off when its session ends.
func (st *Stream) sessionEnded() {
	st.rw.notify()
	st.ww.notify()
	st.ended()
}

// ended releases what the stream holds once it has left the table or its
// session has ended: its window budget, its close timer and its deadline
// timers (which would otherwise keep it in memory until they fire).
func (st *Stream) ended() {
	st.flow.Release()
	st.stopLingering()
	st.rw.stopDeadline()
	st.ww.stopDeadline()
}

// setState sets bits and returns the previous state.
func (st *Stream) setState(bits uint32) uint32 { return st.state.Or(bits) }

// maybeRemove drops the stream from the session's table once both
// directions are finished.
func (st *Stream) maybeRemove() {
	state := st.state.Load()
	sendDone := state&(stFinSent|stReset) != 0
	recvDone := state&(stFinRecv|stReset) != 0
	if sendDone && recvDone && st.setState(stRemoved)&stRemoved == 0 {
		st.sess.removeStream(st)
	}
}

// stateErr is the error for I/O on a stream in state, if any; the caller
// has already handled what is specific to reads or writes.
func (st *Stream) stateErr(state uint32) error {
	switch {
	case state&stReset != 0:
		return ErrStreamReset
	case state&stCutOff != 0:
		return st.sess.err
	}
	return ErrStreamClosed
}

// queueOpenFrame queues the empty frame that carries SYN (open) or ACK
// (accept); data written before it leaves rides in the same frame.
func (st *Stream) queueOpenFrame(flag frame.Flags) { st.sess.tx.open(st, flag) }
