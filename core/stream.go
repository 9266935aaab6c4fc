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
	// Ownership: the receive half (ring consumer side, flow) belongs to the
	// reader under readMu; the ring's producer side to the session's
	// inbound dispatcher; the send fields to sess.sendMu; acked to sess.mu;
	// state, credit and the deadlines are safe for concurrent use.

	id    uint32
	sess  *Session
	state atomic.Uint32 // st* bits

	// receive half
	readMu sync.Mutex
	ring   ring.Ring
	flow   flow.Receiver
	credit atomic.Int64 // bytes the peer may still send us
	rw     waiter       // where Read blocks

	// send half
	writeMu    sync.Mutex // serialises Write
	sendCredit int64      // bytes we may still send
	out        *frameBuf  // encoded frames not yet handed to the driver
	lastHdr    int        // offset in out of the last frame's header, -1 if none
	inReady    bool       // in sess.ready
	spaceWait  bool       // in sess.spaceWaits
	sent       bool       // some frame of this stream went to the driver
	ww         waiter     // where Write blocks

	acked bool // the peer acknowledged our SYN (streams we opened)

	// lingering resets the stream if the peer's FIN does not follow our
	// Close within StreamCloseTimeout; stopped when the stream leaves.
	lingering atomic.Pointer[time.Timer]
}

// Stream state bits.
const (
	stFinSent    = 1 << iota // our FIN is queued: no more writes
	stFinRecv                // the peer's FIN arrived: reads end with io.EOF
	stReset                  // reset by either side
	stReadClosed             // Close was called: no more reads
	stCutOff                 // the session ended
	stRemoved                // left the session's table
)

func newStream(s *Session, id uint32) *Stream {
	st := &Stream{
		id:         id,
		sess:       s,
		sendCredit: frame.InitialWindow,
		lastHdr:    -1,
	}
	st.credit.Store(frame.InitialWindow)
	st.flow.Init(frame.InitialWindow, uint32(s.cfg.MaxStreamWindow), s.budget, time.Now())
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
	s := st.sess
	s.sendMu.Lock()
	old := st.state.Load()
	if old&(stFinSent|stReset|stCutOff) != 0 {
		s.sendMu.Unlock()
		if old&stFinSent != 0 {
			return nil
		}
		return st.stateErr(old)
	}
	st.setState(stFinSent)
	st.appendFlagLocked(frame.FlagFIN)
	s.sendMu.Unlock()
	s.kick()
	st.ww.notify() // a Write blocked on credit now fails
	st.maybeRemove()
	return nil
}

// Close closes both directions: pending and future Reads and Writes fail
// with ErrStreamClosed, queued data is still sent, followed by a FIN. If
// unread data was waiting (or arrives later), the stream is reset instead,
// so the peer learns that it was not read, as TCP does.
func (st *Stream) Close() error {
	old := st.setState(stReadClosed)
	if old&(stReset|stCutOff) != 0 {
		return nil
	}
	st.rw.notify()
	if st.readMu.TryLock() {
		unread := st.ring.Discard()
		st.readMu.Unlock()
		if unread > 0 {
			st.reset(true)
			return nil
		}
	}
	st.CloseWrite()
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

// reset marks the stream reset; if local, it also tells the peer.
func (st *Stream) reset(local bool) {
	old := st.setState(stReset)
	if old&(stReset|stCutOff) != 0 {
		return
	}
	s := st.sess
	s.sendMu.Lock()
	if st.out != nil {
		s.queued -= len(st.out.B)
		dataBufs.Put(st.out)
		st.out, st.lastHdr = nil, -1
		if !st.sent && st.opener() {
			s.synQueued-- // its SYN never leaves
		}
	}
	// A stream we opened whose SYN never left needs no RST: the peer
	// never heard of it.
	tell := local && (st.sent || !st.opener())
	s.sendMu.Unlock()
	if tell {
		s.rst(st.id)
	}
	st.rw.notify()
	st.ww.notify()
	if st.readMu.TryLock() {
		st.ring.Discard()
		st.readMu.Unlock()
	}
	st.maybeRemove()
}

// sessionEnded cuts the stream off when its session ends.
func (st *Stream) sessionEnded() {
	st.stopLingering()
	st.rw.notify()
	st.ww.notify()
	st.flow.Release()
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
func (st *Stream) queueOpenFrame(flag frame.Flags) {
	s := st.sess
	s.sendMu.Lock()
	if st.state.Load()&(stReset|stCutOff) != 0 {
		s.sendMu.Unlock()
		return
	}
	st.appendFrameLocked(flag)
	if flag == frame.FlagSYN {
		s.synQueued++
	}
	s.sendMu.Unlock()
	s.kick()
}
