package core

import (
	"strconv"

	"github.com/netmux/netmux/core/frame"
)

// Dialect selects the wire protocol a session speaks. Both share one frame
// layout and one engine; the few differences are the methods below.
type Dialect uint8

// Dialects.
const (
	// DialectNetMux is net-mux v1 (version byte 1), the default: it talks
	// to the Rust crate net-mux and to other netmux sessions.
	DialectNetMux Dialect = iota
	// DialectYamux is yamux (version byte 0): it talks to
	// github.com/hashicorp/yamux, github.com/libp2p/go-yamux and the Rust
	// yamux crate. See docs/protocol.md for what changes.
	DialectYamux
)

// String returns the dialect's name, or "Dialect(N)" for an undefined one.
func (d Dialect) String() string {
	switch d {
	case DialectNetMux:
		return "net-mux"
	case DialectYamux:
		return "yamux"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// version is the version byte of every frame.
func (d Dialect) version() uint8 {
	if d == DialectYamux {
		return frame.VersionYamux
	}
	return frame.Version
}

// pingRequest is the flag a ping request carries (yamux: SYN; net-mux:
// none); a reply carries ACK in both.
func (d Dialect) pingRequest() frame.Flags {
	if d == DialectYamux {
		return frame.FlagSYN
	}
	return 0
}

// isPingRequest reports whether a ping with flags asks for a reply. A
// yamux ping without SYN is a reply, whatever else it carries.
func (d Dialect) isPingRequest(flags frame.Flags) bool {
	if d == DialectYamux {
		return flags&frame.FlagSYN != 0
	}
	return flags&frame.FlagACK == 0
}

// maxInFrame is the longest Data payload accepted from the peer. yamux
// senders do not share a frame limit (hashicorp/yamux sends up to a whole
// window, go-yamux 64 KiB, Rust yamux 16 KiB): in that dialect the credit
// check bounds a frame, and only one longer than any window we can grant
// is malformed.
func (d Dialect) maxInFrame(c *Config) int {
	if d == DialectYamux {
		return max(c.MaxFrameSize, c.MaxStreamWindow)
	}
	return c.MaxFrameSize
}

// wireCode is the GoAway code sent for code. yamux defines only 0 Normal,
// 1 ProtocolError and 2 InternalError (hashicorp/yamux reports any other
// as an unexpected GoAway): the peer's own faults map to ProtocolError, a
// keepalive timeout to InternalError. The session's error keeps code.
func (d Dialect) wireCode(code frame.ErrorCode) frame.ErrorCode {
	if d != DialectYamux || code <= frame.CodeInternalError {
		return code
	}
	if code == frame.CodeTimeout {
		return frame.CodeInternalError
	}
	return frame.CodeProtocolError
}

// yamuxBacklog is the accept backlog of hashicorp/yamux and go-yamux at
// their defaults: they reset a stream opened beyond it.
const yamuxBacklog = 256

// maxUnacked bounds this side's opens not yet acknowledged by the peer: the
// AcceptBacklog, and in the yamux dialect also the peer's own backlog,
// whatever our AcceptBacklog (which bounds our backlog too) says.
func (d Dialect) maxUnacked(c *Config) int {
	if d == DialectYamux {
		return min(c.AcceptBacklog, yamuxBacklog)
	}
	return c.AcceptBacklog
}

// eofIsGoAway reports whether the transport's clean end stands for the
// peer's GoAway(Normal). yamux peers close a session without a GoAway
// (hashicorp/yamux's and go-yamux's Close send none), so there a bare EOF
// is their normal goodbye; streams it cuts off still fail, as ever.
func (d Dialect) eofIsGoAway() bool { return d == DialectYamux }

// finApart reports whether a FIN must go in an empty frame of its own
// rather than on the last Data frame. hashicorp/yamux and go-yamux apply a
// frame's flags before they buffer its payload: their reader can see the
// FIN first and return io.EOF without the last bytes.
func (d Dialect) finApart() bool { return d == DialectYamux }

// maxDialect is the last defined Dialect, for Config.Validate.
const maxDialect = DialectYamux
