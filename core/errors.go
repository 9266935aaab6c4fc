package core

import (
	"errors"
	"fmt"
	"net"

	"github.com/netmux/netmux/core/frame"
)

var (
	// ErrStreamReset is returned by reads and writes on a stream that either
	// side reset (RST), including a stream the peer refused.
	ErrStreamReset = errors.New("netmux: stream reset")
	// ErrSessionClosed is the error after Close or Shutdown; errors.Is(err,
	// net.ErrClosed) holds for it.
	ErrSessionClosed = fmt.Errorf("netmux: session closed: %w", net.ErrClosed)
	// ErrStreamClosed is returned by operations on a stream after its own
	// Close (or writes after CloseWrite); errors.Is(err, net.ErrClosed) holds.
	ErrStreamClosed = fmt.Errorf("netmux: stream closed: %w", net.ErrClosed)
	// ErrTooManyStreams is returned by Open when MaxStreams streams are
	// already open (OpenStream waits for one to end instead).
	ErrTooManyStreams = errors.New("netmux: too many open streams")
	// ErrStreamIDsExhausted is returned by OpenStream when the session has
	// used every stream id of its parity.
	ErrStreamIDsExhausted = errors.New("netmux: stream ids exhausted")
	// ErrListenerClosed is returned by Accept and AcceptStream once the
	// session's Listener view was closed; errors.Is(err, net.ErrClosed)
	// holds.
	ErrListenerClosed = fmt.Errorf("netmux: listener closed: %w", net.ErrClosed)
	// ErrNilTransport is returned by Client, Server and NewEngine when given
	// a nil connection or driver.
	ErrNilTransport = errors.New("netmux: nil transport")
)

// ErrorCode is the code a GoAway frame carries. It is frame.ErrorCode under
// a second name, so callers compare codes without importing core/frame.
type ErrorCode = frame.ErrorCode

// GoAway error codes (net-mux v1). A code outside this list is kept as it
// arrived, not rejected.
const (
	CodeNormal           = frame.CodeNormal           // a normal end, or a graceful drain
	CodeProtocolError    = frame.CodeProtocolError    // a malformed or forbidden frame
	CodeInternalError    = frame.CodeInternalError    // the sender failed internally
	CodeFlowControlError = frame.CodeFlowControlError // a peer overran its receive window
	CodeStreamLimit      = frame.CodeStreamLimit      // too many streams
	CodeInvalidVersion   = frame.CodeInvalidVersion   // a frame's version byte was not 1
	CodeTimeout          = frame.CodeTimeout          // keepalive: the peer went silent
)

// GoAwayError is why a session stopped: a GoAway sent or received. While
// the session drains after a Normal GoAway it is also what OpenStream
// returns. errors.Is(err, net.ErrClosed) holds; test the code with
//
//	var ga *core.GoAwayError
//	if errors.As(err, &ga) && ga.Code == core.CodeNormal { ... }
type GoAwayError struct {
	// Code is the GoAway's error code: CodeNormal for a deliberate end,
	// another code for a failure.
	Code ErrorCode
	// Remote is true if the peer sent the GoAway, false if this side did.
	Remote bool
	// Cause is the local reason a GoAway was sent, e.g. a *frame.Error for
	// a malformed frame; nil otherwise.
	Cause error
}

// Error describes the GoAway: its code, its direction and any cause.
func (e *GoAwayError) Error() string {
	s := "netmux: GoAway(" + e.Code.String() + ")"
	if e.Remote {
		s += " from peer"
	} else {
		s += " sent"
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Is makes a GoAwayError match net.ErrClosed.
func (e *GoAwayError) Is(target error) bool { return target == net.ErrClosed }

// Unwrap returns Cause.
func (e *GoAwayError) Unwrap() error { return e.Cause }

// transportError is why a session ended when its transport failed or hit
// EOF. It matches net.ErrClosed but deliberately not io.EOF: a stream cut
// off by a vanished peer must not look like a clean end of data.
type transportError struct {
	cause  error
	silent bool // the peer sent nothing at all: it may not speak net-mux v1
}

func (e *transportError) Error() string {
	if e.silent {
		return "netmux: session transport closed before the peer sent anything (does it speak net-mux v1?): " + e.cause.Error()
	}
	return "netmux: session transport closed: " + e.cause.Error()
}

func (e *transportError) Is(target error) bool { return target == net.ErrClosed }

var errKeepAlive = errors.New("keepalive: no frame from the peer within the timeout")
