package core

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/netmux/netmux/core/frame"
)

// inbound is the dispatcher's state between Input calls: the decoder and
// the frame whose payload is still arriving. Owned by the goroutine calling
// Input.
type inbound struct {
	dec     frame.Decoder
	st      *Stream     // stream the frame belongs to, nil if unknown
	deliver bool        // copy the payload into st's ring (else drop it)
	flags   frame.Flags // FIN/RST to apply once the payload is in
	// payloadSpace's state, kept beside deliver (no padding)
	reserved bool // ring space is reserved until payloadRead
	direct   bool // some of the payload under way was read that way
	long     bool // the last frame begun has at least directMin bytes of payload

	refusals refusalLog // bounds the refused-stream log lines

	lent *wakeup // the Read whose buffer payloadSpace claimed, until payloadRead
}

// Bounds of reading a payload straight to where it goes (payloadSpace):
// a frame with less than directMin bytes of payload still to come is read
// through the driver's buffer, where an extra read would cost more than
// the copy it saves (once started, a payload is read straight through to
// its end); directMax bounds the ring space reserved for one read.
const (
	directMin = 8 << 10
	directMax = 64 << 10
)

var (
	errBadSYN     = errors.New("SYN on a stream id in use or of our own parity")
	errWindowOver = errors.New("data beyond the granted window")
)

// input decodes frames from p and dispatches them; see Engine.Input.
// Payload is streamed into the stream's ring as it arrives, so a partial
// frame never has to be kept by the caller beyond its 12-byte header.
func (s *Session) input(p []byte) (int, error) {
	if s.IsClosed() {
		return 0, s.err
	}
	n := 0
	for {
		if !s.heard && n < len(p) {
			// The peer's first header, or its start: is it net-mux v1?
			if err := s.sniff(p[n:min(len(p), n+frame.HeaderSize)]); err != nil {
				return n, err
			}
			s.heard = len(p)-n >= frame.HeaderSize
		}
		pc, k, err := s.in.dec.Next(p[n:])
		if err != nil {
			var fe *frame.Error
			errors.As(err, &fe)
			return n, s.fail(fe.Code, err)
		}
		if k == 0 {
			return n, nil
		}
		n += k
		// Counted before anything that may end the session, so Stats are
		// complete once Done is closed.
		s.stats.bytesIn.Add(uint64(k))
		if pc.Start {
			s.in.st, s.in.deliver, s.in.flags, s.in.direct = nil, false, 0, false
			s.in.long = pc.Header.PayloadLen() >= directMin
			if err := s.handle(pc.Header); err != nil {
				return n, err
			}
		}
		if s.in.deliver && len(pc.Payload) > 0 {
			s.deliver(s.in.st, pc.Payload)
		}
		if pc.End && s.in.st != nil {
			s.applyFlags(s.in.st, s.in.flags)
		}
	}
}

// deliver hands payload to st's reader: straight into the buffer of a Read
// waiting on an empty ring, the rest (or all) into the ring.
func (s *Session) deliver(st *Stream, payload []byte) {
	if k, space := offered(st); k != nil {
		n := copy(space, payload)
		k.release(n)
		payload = payload[n:]
	}
	st.ring.Write(payload)
	st.rw.notify()
}

// offered claims the buffer that a Read waiting on st's empty ring
// offered, if any, and returns its wake-up and free space (see
// wakeup.claim): the caller fills it and calls release at once.
func offered(st *Stream) (*wakeup, []byte) {
	if k := st.rw.armed.Load(); k != nil {
		if space, ok := k.claim(&st.ring); ok {
			return k, space
		}
	}
	return nil, nil
}

// payloadSpace appends to dst where the transport's next bytes go when they
// are the rest of a Data payload under way (at least directMin bytes), so
// that a driver can read them there instead of into its buffer: the buffer
// of a Read waiting on the stream's empty ring, then free space in the
// ring. It appends nothing otherwise. Only the goroutine feeding Input may
// call it, and it must call payloadRead before anything else, without
// blocking in between (a Read may be waiting to take its buffer back).
func (s *Session) payloadSpace(dst [][]byte) [][]byte {
	if !s.payloadPending() || s.IsClosed() {
		return dst
	}
	st, left := s.in.st, s.in.dec.Left()
	if k, space := offered(st); k != nil {
		space = space[:min(len(space), left)]
		s.in.lent, k.claimed = k, len(space)
		dst = append(dst, space)
		left -= len(space)
	}
	if left > 0 {
		dst = st.ring.Reserve(dst, min(left, directMax))
		s.in.reserved = true
	}
	return dst
}

// payloadPending reports whether payloadSpace has space to offer.
func (s *Session) payloadPending() bool {
	left := s.in.dec.Left()
	return s.in.deliver && (left >= directMin || left > 0 && s.in.direct)
}

// readLimit returns how many bytes past those it holds (a partial header
// at most) a driver reading through its buffer should read at most, 0 for
// no limit: while long frames come, a read ends
// right after the next header, so that the next payload can be read
// straight through (payloadSpace) instead of starting in the buffer; a
// read that ran into the middle of it would otherwise leave too little to
// be worth it, and keep doing so frame after frame.
func (s *Session) readLimit() int {
	if !s.in.long {
		return 0
	}
	return s.in.dec.Left() + frame.HeaderSize
}

// payloadRead delivers n bytes read into the start of the space
// payloadSpace returned, and gives back the rest of that space.
func (s *Session) payloadRead(n int) {
	st, rest := s.in.st, n
	if k := s.in.lent; k != nil {
		m := min(rest, k.claimed)
		k.release(m)
		rest -= m
	}
	if s.in.reserved {
		st.ring.Commit(rest)
	}
	s.in.lent, s.in.reserved = nil, false
	if n == 0 {
		return
	}
	s.in.direct = true
	s.stats.bytesIn.Add(uint64(n))
	s.stats.bytesInDirect.Add(uint64(n))
	st.rw.notify()
	if s.in.dec.Skip(n).End {
		s.applyFlags(st, s.in.flags)
	}
}

// handle acts on one validated frame header.
func (s *Session) handle(h frame.Header) error {
	switch h.Type {
	case frame.TypePing:
		if s.cfg.Dialect.isPingRequest(h.Flags) {
			s.queueCtrl(frame.Header{Type: frame.TypePing, Flags: frame.FlagACK, Length: h.Length})
		} else {
			s.pingReplied(h.Length)
		}
		return nil
	case frame.TypeGoAway:
		s.remoteGoAway(frame.ErrorCode(h.Length))
		return nil
	}
	return s.handleStream(h)
}

// handleStream acts on the header of a Data or WindowUpdate frame; its
// flags are applied once its payload is in.
func (s *Session) handleStream(h frame.Header) error {
	var st *Stream
	if h.Flags&frame.FlagSYN != 0 {
		ours := h.StreamID&1 == 1 == (s.role == RoleClient)
		var why string
		var err error
		if st, why, err = s.tbl.admit(h.StreamID, ours, s.newStream); err != nil {
			return s.fail(frame.CodeProtocolError, err)
		}
		if st == nil {
			s.refuse(h.StreamID, why)
			return nil
		}
		s.stats.accepted.Add(1)
	} else {
		st = s.tbl.get(h.StreamID)
	}
	if st == nil {
		// Data for a stream we do not know is refused; RST, ACK (an empty
		// Data frame with ACK) or a WindowUpdate for one is ignored.
		ackOnly := h.Length == 0 && h.Flags&frame.FlagACK != 0
		if h.Type == frame.TypeData && h.Flags&frame.FlagRST == 0 && !ackOnly {
			s.rst(h.StreamID)
		}
		return nil
	}
	if h.Flags&frame.FlagACK != 0 && st.opener() {
		s.tbl.ack(st)
	}

	s.in.st, s.in.flags = st, h.Flags
	if h.Type == frame.TypeWindowUpdate {
		if h.Flags&frame.FlagRST == 0 { // go-yamux puts an error code there
			st.addSendCredit(h.Length)
		}
		return nil
	}
	if h.Length == 0 {
		return nil
	}
	if !st.credit.Spend(h.Length) {
		return s.fail(frame.CodeFlowControlError, errWindowOver)
	}
	state := st.state.Load()
	switch {
	case state&stFinRecv != 0:
		// Data after FIN: that stream is broken, the session is not.
		st.reset(true)
	case state&stReadClosed != 0 && state&stReset == 0:
		// Nobody will read it: tell the peer, as TCP does, after the
		// data and FIN that Close queued.
		st.resetAfterFin()
	case state&stReset == 0:
		s.in.deliver = true
	}
	return nil
}

// refuse answers a peer's SYN with RST, counts it and logs why: at Warn
// when a limit was reached, at Info while going away, where it is expected.
// A peer that floods SYNs gets refusalLogMax lines a second, the next one
// saying how many refusals were left out.
func (s *Session) refuse(id uint32, why string) {
	s.stats.refused.Add(1)
	s.rst(id)
	log, unlogged := s.in.refusals.allow(s.now())
	if !log {
		return
	}
	level := slog.LevelWarn
	if why == refusedGoAway {
		level = slog.LevelInfo
	}
	attrs := []any{"stream", id, "reason", why}
	if unlogged > 0 {
		attrs = append(attrs, "unlogged", unlogged)
	}
	s.log.Log(context.Background(), level, "netmux refused a stream", attrs...)
}

// refusalLogMax is how many refused streams are logged a second at most.
const refusalLogMax = 10

// refusalLog decides which refused streams are logged: at most
// refusalLogMax in each second.
type refusalLog struct {
	start    int64 // start of the current second, ns since the session's epoch
	logged   int   // lines logged in it
	unlogged int   // refusals left out since the last line
}

// allow reports whether the refusal at now (ns since the session's epoch)
// is logged and, if so, how many were left out before it.
func (l *refusalLog) allow(now int64) (log bool, unlogged int) {
	if now-l.start >= int64(time.Second) {
		l.start, l.logged = now, 0
	}
	if l.logged == refusalLogMax {
		l.unlogged++
		return false, 0
	}
	l.logged++
	unlogged, l.unlogged = l.unlogged, 0
	return true, unlogged
}

// applyFlags applies a frame's FIN and RST once its payload is in. FIN and
// RST together mean an RST after the FIN: what came before stays readable.
func (s *Session) applyFlags(st *Stream, flags frame.Flags) {
	if flags&frame.FlagFIN != 0 {
		st.setState(stFinRecv)
		st.rw.notify()
	}
	if flags&frame.FlagRST != 0 {
		st.reset(false)
		return
	}
	if flags&frame.FlagFIN != 0 {
		st.maybeRemove()
	}
}

// rst queues a reset for a stream id.
func (s *Session) rst(id uint32) {
	s.queueCtrl(frame.Header{Type: frame.TypeData, Flags: frame.FlagRST, StreamID: id})
}
