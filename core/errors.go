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

// GoAwayError is why a session stopped: a GoAway sent (Remote false) or
// received (Remote true). While the session drains after a Normal GoAway it
// is also what OpenStream returns. errors.Is(err, net.ErrClosed) holds.
type GoAwayError struct {
	Code   frame.ErrorCode
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
