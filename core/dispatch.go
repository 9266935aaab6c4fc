package core

import (
	"errors"

	"github.com/netmux/netmux/core/frame"
)

// inbound is the dispatcher's state between Input calls: the Data frame
// whose payload is still arriving. Owned by the goroutine calling Input.
type inbound struct {
	st      *Stream     // stream the frame belongs to, nil if unknown
	deliver bool        // copy the payload into st's ring (else drop it)
	left    int         // payload bytes still to come
	flags   frame.Flags // FIN/RST to apply once the payload is in
}

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
	s.lastRecv.Store(s.now())
	n := 0
	for {
		if s.in.left > 0 {
			if n == len(p) {
				return n, nil
			}
			k := min(s.in.left, len(p)-n)
			if s.in.deliver {
				s.in.st.ring.Write(p[n : n+k])
				s.in.st.rw.notify()
			}
			s.in.left -= k
			n += k
			// Counted before anything that may end the session, so Stats
			// are complete once Done is closed.
			s.stats.bytesIn.Add(uint64(k))
			if s.in.left == 0 && s.in.st != nil {
				s.applyFlags(s.in.st, s.in.flags)
			}
			continue
		}
		if len(p)-n < frame.HeaderSize {
			return n, nil
		}
		h, _ := frame.ParseHeader(p[n:])
		if err := s.cfg.Dialect.validate(h, &s.cfg); err != nil {
			var fe *frame.Error
			errors.As(err, &fe)
			return n, s.fail(fe.Code, err)
		}
		n += frame.HeaderSize
		s.stats.bytesIn.Add(frame.HeaderSize)
		if err := s.handle(h); err != nil {
			return n, err
		}
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

// handleStream acts on a Data or WindowUpdate frame.
func (s *Session) handleStream(h frame.Header) error {
	s.in = inbound{left: h.PayloadLen()}
	s.mu.Lock()
	st := s.streams[h.StreamID]
	if h.Flags&frame.FlagSYN != 0 {
		if st != nil || h.StreamID&1 == 1 != (s.role == RoleServer) {
			s.mu.Unlock()
			return s.fail(frame.CodeProtocolError, errBadSYN)
		}
		if st = s.acceptLocked(h.StreamID); st == nil {
			s.mu.Unlock()
			s.stats.refused.Add(1)
			s.rst(h.StreamID)
			return nil
		}
	}
	if st == nil {
		s.mu.Unlock()
		// Data for a stream we do not know is refused; RST, ACK (an empty
		// Data frame with ACK) or a WindowUpdate for one is ignored.
		ackOnly := h.Length == 0 && h.Flags&frame.FlagACK != 0
		if h.Type == frame.TypeData && h.Flags&frame.FlagRST == 0 && !ackOnly {
			s.rst(h.StreamID)
		}
		return nil
	}
	if h.Flags&frame.FlagACK != 0 && !st.acked && st.opener() {
		st.acked = true
		s.ackedLocked()
	}
	s.mu.Unlock()

	if h.Type == frame.TypeWindowUpdate {
		if h.Flags&frame.FlagRST == 0 { // go-yamux puts an error code there
			st.addSendCredit(h.Length)
		}
		s.applyFlags(st, h.Flags)
		return nil
	}
	if h.Length == 0 {
		s.applyFlags(st, h.Flags)
		return nil
	}
	if st.credit.Add(-int64(h.Length)) < 0 {
		return s.fail(frame.CodeFlowControlError, errWindowOver)
	}
	s.in.st = st
	s.in.flags = h.Flags
	state := st.state.Load()
	switch {
	case state&stFinRecv != 0:
		// Data after FIN: that stream is broken, the session is not.
		st.reset(true)
	case state&stReadClosed != 0 && state&stReset == 0:
		// Nobody will read it: tell the peer, as TCP does.
		st.reset(true)
	case state&stReset == 0:
		s.in.deliver = true
	}
	return nil
}

// acceptLocked registers a peer-opened stream and queues it for Accept, or
// returns nil if it must be refused.
func (s *Session) acceptLocked(id uint32) *Stream {
	if s.goAwaySent || s.goAwayRecv != nil || len(s.streams) >= s.cfg.MaxStreams ||
		len(s.backlog) >= s.cfg.AcceptBacklog {
		return nil
	}
	st := newStream(s, id)
	s.streams[id] = st
	s.backlog = append(s.backlog, st)
	notify(s.accepted)
	s.stats.accepted.Add(1)
	return st
}

// applyFlags applies a frame's FIN and RST once its payload is in.
func (s *Session) applyFlags(st *Stream, flags frame.Flags) {
	if flags&frame.FlagRST != 0 {
		st.reset(false)
		return
	}
	if flags&frame.FlagFIN != 0 {
		st.setState(stFinRecv)
		st.rw.notify()
		st.maybeRemove()
	}
}

// rst queues a reset for a stream id.
func (s *Session) rst(id uint32) {
	s.queueCtrl(frame.Header{Type: frame.TypeData, Flags: frame.FlagRST, StreamID: id})
}

// remoteGoAway handles the peer's GoAway: no new streams either way. A
// Normal GoAway lets open streams finish (the peer closes the transport
// when it is done); any other code ends the session now.
func (s *Session) remoteGoAway(code frame.ErrorCode) {
	err := &GoAwayError{Code: code, Remote: true}
	s.mu.Lock()
	if s.goAwayRecv == nil {
		s.goAwayRecv = err
	}
	if s.openWaits > 0 {
		notify(s.openSlot) // waiting openers now fail
	}
	idle := len(s.streams) == 0
	s.mu.Unlock()
	// A Normal GoAway lets open streams finish; with none left, or with
	// any other code, the session is over.
	switch {
	case code != frame.CodeNormal:
		s.end(err, nil)
	case idle:
		s.finish(err, nil, true) // streams that just finished may have data queued
	}
}
