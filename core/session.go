package core

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netmux/netmux/core/frame"
	"github.com/netmux/netmux/core/internal/flow"
)

// Session is one multiplexed connection: it opens and accepts streams over
// a single transport. It is safe for concurrent use, and it is a
// net.Listener whose Accept returns the streams the peer opens.
type Session struct {
	// Ownership: tbl and tx (and every stream's tx) have their own locks,
	// never held across I/O; mu guards the four fields after it; in belongs to
	// the one goroutine calling Engine.Input; the rest are set once or
	// atomic.
	cfg    Config
	role   Role
	drv    Driver
	lr     leadReader   // drv, if its waiters may read the transport themselves
	iw     inlineWriter // drv, if a Write may write the batch itself
	log    *slog.Logger
	epoch  time.Time // base of the monotonic nanosecond clocks below
	budget *flow.Budget

	tbl streamTable // the streams: ids, limits, accept backlog, GoAway state
	tx  sendQueue   // outbound

	mu         sync.Mutex
	pings      map[uint32]*pingWait
	driverOut  chan struct{} // closed once the driver is closed; made by the first waiter
	pingSeq    uint32
	driverGone bool // the driver is closed

	// inbound
	in    inbound
	heard bool // the peer's first frame was plausible net-mux v1 (see sniff); the yamux dialect's decoder checks its version alone

	stats counters

	// lifecycle
	done       chan struct{} // closed when the session ends
	endOnce    sync.Once
	err        error                      // why it ended; written before done is closed
	closeOnce  sync.Once                  // closes the driver
	lastRecv   atomic.Int64               // ns since epoch of the last inbound bytes
	receiving  atomic.Bool                // the driver is inside Engine.Input
	kaPing     atomic.Uint32              // value of the last keepalive ping
	rtt        atomic.Int64               // smoothed round-trip time in ns, 0 if unknown
	keepalive  *time.Timer                // next keepalive ping or timeout check
	kaWritten  atomic.Int64               // when it was written (ns since epoch), 0 if not yet
	kaQueued   atomic.Int64               // when it was queued (ns since epoch)
	writeAt    atomic.Int64               // when the driver got the batch it is writing (ns since epoch), 0 if none
	writeEnd   atomic.Int64               // when its last write returned (ns since epoch)
	closeT     atomic.Pointer[time.Timer] // closes the driver WriteTimeout after the end
	resetOnEnd atomic.Bool                // Close, or Shutdown giving up: RST every open stream
}

// pingWait is an outstanding ping request.
type pingWait struct {
	queued, written time.Time
	reply           chan time.Duration // nil for keepalive pings
}

// Client starts the client side of a session over conn, driven by one reader
// and one writer goroutine. It takes ownership of conn. A nil cfg means
// DefaultConfig(); an invalid cfg is an error and conn is left open; a nil
// conn is ErrNilTransport.
func Client(conn io.ReadWriteCloser, cfg *Config) (*Session, error) {
	return runConn(conn, RoleClient, cfg)
}

// Server starts the server side of a session over conn; see Client.
func Server(conn io.ReadWriteCloser, cfg *Config) (*Session, error) {
	return runConn(conn, RoleServer, cfg)
}

func newSession(d Driver, role Role, c Config) *Session {
	s := &Session{
		cfg:    c,
		role:   role,
		drv:    d,
		log:    c.Logger,
		epoch:  time.Now(),
		budget: flow.NewBudget(int64(c.MaxSessionWindow)),
		pings:  make(map[uint32]*pingWait),
		done:   make(chan struct{}),
		in:     inbound{dec: frame.NewDecoderVersion(c.Dialect.version(), c.Dialect.maxInFrame(&c))},
		heard:  c.Dialect != DialectNetMux,
	}
	s.lr, _ = d.(leadReader)
	s.iw, _ = d.(inlineWriter)
	s.tbl.init(role, &c, s.watch)
	s.tx.init(&c, d.Wake)
	if c.KeepAliveInterval > 0 {
		s.startKeepAlive()
	}
	return s
}

// settled returns err, a call's failure, once the session's end (if that
// is why it failed) is complete: the table learns of the end a moment
// before Done closes, and a caller that sees the session's error must also
// see Err and IsClosed report it.
func (s *Session) settled(err error) error {
	if s.tbl.endedErr() != nil {
		<-s.done
	}
	return err
}

// awaitInbound blocks until k is notified or the session ends; with a
// driver that allows it, the caller reads the transport meanwhile (see
// goroutineDriver).
func (s *Session) awaitInbound(k *wakeup, lead bool) {
	if s.lr != nil {
		s.lr.await(k, s.done, lead)
	} else {
		block(k, s.done)
	}
}

// watch registers (+1) or withdraws (-1) a goroutine that waits for the
// peer without reading the transport itself (see leadReader).
func (s *Session) watch(delta int32) {
	if s.lr != nil {
		s.lr.watch(delta)
	}
}

// newStream makes a stream of this session with id.
func (s *Session) newStream(id uint32) *Stream { return newStream(s, id) }

// now returns nanoseconds since the session started, on the monotonic clock.
func (s *Session) now() int64 { return int64(time.Since(s.epoch)) }

// OpenStream opens a new stream. It does not wait for the peer: the SYN goes
// out with the stream's first bytes (or alone at the next flush). It waits,
// until ctx is done, while AcceptBacklog opens are unacknowledged or
// MaxStreams streams are open. It fails with a *GoAwayError after a GoAway,
// and with the session's error once it has ended.
func (s *Session) OpenStream(ctx context.Context) (*Stream, error) {
	return s.open(ctx, true)
}

// Open opens a stream; it is OpenStream without a context, for smux/yamux
// users. As it cannot be cancelled, it fails at once with
// ErrTooManyStreams when MaxStreams streams are open instead of waiting
// for one to end; it still waits while AcceptBacklog opens are
// unacknowledged (the peer's answer ends that wait).
func (s *Session) Open() (net.Conn, error) {
	st, err := s.open(context.Background(), false)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// open opens a stream, waiting for room as OpenStream describes; at
// MaxStreams it waits only if waitForSlot, else fails.
func (s *Session) open(ctx context.Context, waitForSlot bool) (*Stream, error) {
	st, err := s.tbl.open(ctx, waitForSlot, s.newStream)
	if err != nil {
		return nil, s.settled(err)
	}
	s.stats.opened.Add(1)
	st.queueOpenFrame(frame.FlagSYN)
	return st, nil
}

// AcceptStream waits for the next stream the peer opens and acknowledges it
// (the ACK rides on the first frame sent on it). It fails with the session's
// error once the session has ended, ErrListenerClosed once the Listener
// view was closed, or ctx.Err().
func (s *Session) AcceptStream(ctx context.Context) (*Stream, error) {
	st, err := s.tbl.accept(ctx)
	if err != nil {
		return nil, s.settled(err)
	}
	st.queueOpenFrame(frame.FlagACK)
	return st, nil
}

// Accept waits for the next peer-opened stream; it makes *Session a
// net.Listener.
func (s *Session) Accept() (net.Conn, error) {
	st, err := s.AcceptStream(context.Background())
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Addr returns the transport's local address, for net.Listener.
func (s *Session) Addr() net.Addr { return s.LocalAddr() }

// LocalAddr returns the transport's local address, or a placeholder if the
// transport has none.
func (s *Session) LocalAddr() net.Addr {
	if a, ok := s.drv.(Addresser); ok {
		return a.LocalAddr()
	}
	return muxAddr{}
}

// RemoteAddr returns the transport's remote address, or a placeholder.
func (s *Session) RemoteAddr() net.Addr {
	if a, ok := s.drv.(Addresser); ok {
		return a.RemoteAddr()
	}
	return muxAddr{}
}

// muxAddr stands in for the address of a transport that has none (a pipe).
type muxAddr struct{}

func (muxAddr) Network() string { return "netmux" }
func (muxAddr) String() string  { return "netmux" }

// NumStreams returns the number of streams open on the session.
func (s *Session) NumStreams() int { return s.tbl.count() }

// queueCtrl queues a control frame ahead of all data, or ends the session
// if the peer floods them without reading the replies.
func (s *Session) queueCtrl(h frame.Header) {
	if !s.tx.control(h) {
		s.fail(frame.CodeProtocolError, errCtrlFlood)
	}
}

// written releases the last batch, or ends the session if writing failed.
func (s *Session) written(err error) {
	pings, n, drained := s.tx.written(err)
	s.stats.bytesOut.Add(uint64(n))
	if len(pings) > 0 {
		s.pingsWritten(pings)
	}
	switch {
	case drained: // the session has ended and nothing more will be written
		s.closeDriver()
	case err != nil:
		s.writeFailed(err)
	}
}
