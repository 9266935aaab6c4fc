package core

import (
	"context"
	"errors"
	"log/slog"

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
			s.in.st, s.in.deliver, s.in.flags = nil, false, 0
			if err := s.handle(pc.Header); err != nil {
				return n, err
			}
		}
		if s.in.deliver && len(pc.Payload) > 0 {
			s.in.st.ring.Write(pc.Payload)
			s.in.st.rw.notify()
		}
		if pc.End && s.in.st != nil {
			s.applyFlags(s.in.st, s.in.flags)
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
func (s *Session) refuse(id uint32, why string) {
	s.stats.refused.Add(1)
	level := slog.LevelWarn
	if why == refusedGoAway {
		level = slog.LevelInfo
	}
	s.log.Log(context.Background(), level, "netmux refused a stream", "stream", id, "reason", why)
	s.rst(id)
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
