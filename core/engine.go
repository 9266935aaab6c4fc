package core

import (
	"fmt"
	"net"
)

// Driver moves a session's bytes over some transport. The session engine
// does no I/O itself: a driver feeds it inbound bytes with Engine.Input and
// writes what Engine.Output hands it. The goroutine driver behind Client and
// Server is one implementation; transport packages provide others (gnet
// event loops).
type Driver interface {
	// Wake tells the driver that Engine.Output has frames to write. It is
	// called from any goroutine, must not block, and may be called again
	// before the driver reacts (one pending wake-up is enough).
	Wake()
	// Close closes the transport. The engine calls it once the session has
	// ended and its last frames were written (or WriteTimeout passed). It
	// must be safe to call more than once and from any goroutine.
	Close() error
}

// leadReader is implemented by a driver that lets goroutines waiting for
// inbound frames read the transport themselves (the goroutine driver).
type leadReader interface {
	// await blocks until k is notified or done is closed, reading the
	// transport meanwhile when nobody else does; it may return early.
	await(k *wakeup, done <-chan struct{}, lead bool)
	// watch registers (+1) or withdraws (-1) a goroutine that waits for
	// inbound frames without reading: the transport must be read for it.
	watch(delta int32)
	// left tells that a reader's stream is over: it will not come back
	// to read soon.
	left()
}

// inlineWriter is implemented by a driver that lets a goroutine with data
// write the session's batch itself (the goroutine driver).
type inlineWriter interface {
	// takeWrite takes the writer role if nobody writes and the transport
	// can be written without blocking; Wakes meanwhile are held back.
	takeWrite() bool
	// writeHeld writes what is pending without blocking, passes the rest
	// to the driver's writer and lets the role go.
	writeHeld()
	// writeDirect writes the start of p, a Write's buffer on st, straight
	// from p if nobody else is writing and nothing must go first, and
	// returns the payload bytes it took (0: none; the caller queues p).
	writeDirect(st *Stream, p []byte) int
}

// Addresser is optionally implemented by a Driver (or by the connection
// given to Client/Server) to report the transport's addresses.
type Addresser interface {
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

// Role is the side a session plays: it fixes the parity of the stream ids it
// opens (clients odd, servers even).
type Role uint8

// Roles.
const (
	RoleClient Role = iota
	RoleServer
)

// Engine is a driver's handle on a session. Input is called by one
// goroutine at a time (the driver's inbound side); Output and Written by one
// goroutine at a time (its outbound side); Closed by either.
type Engine struct{ s *Session }

// NewEngine creates a session in the given role, driven by d. A nil cfg
// means DefaultConfig(); an invalid one is an error, and so are a nil d
// (ErrNilTransport) and an unknown role.
func NewEngine(d Driver, role Role, cfg *Config) (*Engine, error) {
	if d == nil {
		return nil, ErrNilTransport
	}
	if role != RoleClient && role != RoleServer {
		return nil, fmt.Errorf("%w: unknown role %d", ErrInvalidConfig, role)
	}
	c, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	s := newSession(d, role, c)
	return &Engine{s: s}, nil
}

// Session returns the session this engine runs.
func (e *Engine) Session() *Session { return e.s }

// Input hands the engine bytes read from the transport. It consumes every
// complete frame and any payload bytes it can deliver, and returns how many
// bytes of p it consumed; the rest (at most a partial 12-byte header) must
// be passed again, followed by more bytes. p is not retained after Input
// returns: payload is copied into stream buffers. Input never blocks. A
// non-nil error means the peer broke the protocol or the session is over:
// the engine has already sent the right GoAway and will close the driver;
// stop reading.
func (e *Engine) Input(p []byte) (int, error) { return e.s.receive(p) }

// Output appends the frames ready to be written to dst and returns it. The
// slices stay valid and unchanged until Written is called; call Written
// exactly once after each Output that returned anything, before the next
// Output. An empty result means nothing is pending: wait for Wake.
func (e *Engine) Output(dst [][]byte) [][]byte { return e.s.handOut(dst) }

// Written reports that everything the last Output returned has been
// written (err nil) or that writing failed (the session then ends).
func (e *Engine) Written(err error) { e.s.wrote(err) }

// Closed reports that the transport has ended, with the read or write error
// that showed it (io.EOF for a clean end). The session ends; streams cut
// off read an error, never a clean EOF.
func (e *Engine) Closed(err error) { e.s.transportClosed(err) }
