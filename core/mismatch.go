package core

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/netmux/netmux/core/frame"
)

// ErrProtocolMismatch matches the error of a session whose peer's first
// bytes show that it does not speak net-mux v1: a yamux or smux peer, a TLS
// endpoint, anything else. Both ends must use the same protocol; the
// message names what was seen.
var ErrProtocolMismatch = errors.New("peer is not speaking net-mux v1")

// A peer that speaks net-mux v1 starts with a Ping (or its reply), a Data
// frame that opens, accepts or resets a stream, or a GoAway with a known
// code. The session checks the start of the peer's first frame against
// that as its bytes arrive, so that another protocol is named as soon as a
// few bytes show it, not when a frame boundary finally lines up:
//
//   - yamux (hashicorp/yamux, libp2p/go-yamux) uses the same 12-byte
//     header with version byte 0: its first byte shows it.
//   - smux v2 frames start with version byte 2: the first byte again.
//   - smux v1 frames (8-byte little-endian header) start with byte 1 like
//     ours, then cmd 0..4 where we read the type, and a length where we
//     read flags: an smux open (cmd SYN, length 0) reads as a Data frame
//     without SYN, ACK or RST; a frame with payload sets undefined flag
//     bits; two keepalive NOPs read as a GoAway with an unknown code.
//   - TLS starts with a handshake record, byte 0x16.
//
// A peer that sends nothing (an smux server whose reader gave up on our
// frames) is noticed by keepalive, KeepAliveTimeout after the first ping.

// mismatchError is why a session ended when its peer turned out not to
// speak net-mux v1. It matches ErrProtocolMismatch and, where there is one,
// the *frame.Error of the validation that failed.
type mismatchError struct {
	what  string          // what gave the peer away, e.g. "version byte 0x00"
	first []byte          // the bytes of its first frame seen so far (at most 12)
	code  frame.ErrorCode // the GoAway code sent
	class error           // the *frame.Error it amounts to, or nil
}

func (e *mismatchError) Error() string {
	return fmt.Sprintf("%v: %s%s; first bytes % x", ErrProtocolMismatch, e.what, guessProtocol(e.first), e.first)
}

func (e *mismatchError) Unwrap() []error {
	if e.class == nil {
		return []error{ErrProtocolMismatch}
	}
	return []error{ErrProtocolMismatch, e.class}
}

// checkFirstFrame checks b, the start (1 to 12 bytes) of the peer's first
// frame, and returns nil if a net-mux v1 peer could have sent it.
func checkFirstFrame(b []byte, maxFrameSize int) *mismatchError {
	m := &mismatchError{first: append([]byte(nil), b...), code: frame.CodeProtocolError}
	if b[0] != frame.Version {
		m.what, m.code, m.class = fmt.Sprintf("version byte 0x%02x", b[0]), frame.CodeInvalidVersion, frame.ErrInvalidVersion
		return m
	}
	if len(b) < 4 {
		return nil
	}
	// Type and flags are known from 4 bytes on; the rest is checked once
	// the whole header is in.
	h, full := frame.ParseHeader(b)
	desc := h.String()
	if !full {
		h = frame.Header{Version: b[0], Type: frame.Type(b[1]), Flags: frame.Flags(binary.BigEndian.Uint16(b[2:4]))}
		if h.Type != frame.TypePing && h.Type != frame.TypeGoAway {
			h.StreamID = 1
		}
		desc = h.Type.String() + " with flags " + h.Flags.String()
	}
	switch err := frame.Validate(h, maxFrameSize); {
	case err != nil:
		m.what, m.class = "first frame "+desc+": "+err.Error(), err
		m.code = err.(*frame.Error).Code
	case h.Type == frame.TypeData && h.Flags&(frame.FlagSYN|frame.FlagACK|frame.FlagRST) == 0:
		m.what = "first frame " + desc + " neither opens, accepts nor resets a stream"
	case full && h.Type == frame.TypeGoAway && frame.ErrorCode(h.Length) > frame.CodeTimeout:
		m.what = "first frame " + desc + " carries an unknown code"
	default:
		return nil
	}
	return m
}

// guessProtocol names, as a hint, the protocol a peer's first bytes
// suggest.
func guessProtocol(b []byte) string {
	switch b[0] {
	case 0:
		return " (yamux?)"
	case 1:
		return " (smux v1?)"
	case 2:
		return " (smux v2?)"
	case 0x16:
		return " (a TLS handshake?)"
	}
	return ""
}

// sniff checks the start of the peer's first frame (see checkFirstFrame)
// and ends the session with a mismatch error if it is not net-mux v1.
func (s *Session) sniff(b []byte) error {
	if m := checkFirstFrame(b, s.cfg.MaxFrameSize); m != nil {
		return s.fail(m.code, m)
	}
	return nil
}
