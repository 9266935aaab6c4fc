package core

import (
	"context"
	"errors"
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
//
// Ownership: the fields under "stream table" are guarded by mu; those under
// "outbound" (and every stream's send fields) by sendMu, never held across
// I/O; "inbound" fields belong to the one goroutine calling Engine.Input;
// the rest are set once or atomic.
type Session struct {
	cfg    Config
	role   Role
	drv    Driver
	log    *slog.Logger
	epoch  time.Time // base of the monotonic nanosecond clocks below
	budget *flow.Budget

	// stream table
	mu         sync.Mutex
	streams    map[uint32]*Stream
	nextID     uint32       // next id this side opens
	unacked    int          // our opens the peer has not acknowledged
	openWaits  int          // OpenStream calls waiting for unacked to drop
	goAwaySent bool         // we sent GoAway: no new streams
	goAwayRecv *GoAwayError // the peer's GoAway, if any: no new streams
	resetOnEnd bool         // Close: RST every open stream before the GoAway
	pings      map[uint32]*pingWait
	pingSeq    uint32
	drainWaits int // Shutdown calls waiting for the table to empty

	backlog  []*Stream     // peer-opened streams not yet accepted, oldest first
	accepted chan struct{} // signalled when the backlog gains a stream
	// Made by the first waiter; most sessions never need them.
	openSlot   chan struct{} // signalled when an unacked open is resolved
	drained    chan struct{} // signalled when a stream leaves the table
	driverOut  chan struct{} // closed once the driver is closed
	driverGone bool          // the driver is closed

	// outbound
	sendMu      sync.Mutex
	ctrl        *frameBuf   // control frames, written before any data
	ready       []*Stream   // streams with data queued, in round-robin order
	queued      int         // bytes in streams' out buffers
	spaceWaits  []*Stream   // writers waiting for MaxSendBuffer space
	ctrlOut     *frameBuf   // control frames handed to the driver, not yet written
	inflight    []*frameBuf // stream buffers handed to the driver, not yet written
	inflightLen int         // bytes in inflight
	pingsQueued []uint32    // ping requests in ctrl
	pingsOut    []uint32    // ping requests in inflight
	outPending  atomic.Bool // a Wake is due or pending
	synQueued   int         // our streams whose SYN is queued, not yet handed out
	goAwayDue   bool        // a graceful GoAway waits for those SYNs to go first

	// inbound
	in inbound

	stats counters

	// lifecycle
	done      chan struct{} // closed when the session ends
	endOnce   sync.Once
	err       error         // why it ended; written before done is closed
	closeOnce sync.Once     // closes the driver
	lastRecv  atomic.Int64  // ns since epoch of the last inbound bytes
	receiving atomic.Bool   // the driver is inside Engine.Input
	rtt       atomic.Int64  // smoothed round-trip time in ns, 0 if unknown
	keepalive *time.Timer   // next keepalive ping or timeout check
	kaPing    atomic.Uint32 // value of the last keepalive ping
	kaWritten atomic.Int64  // when it was written (ns since epoch), 0 if not yet
	kaQueued  atomic.Int64  // when it was queued (ns since epoch)
	writeAt   atomic.Int64  // when the driver got the batch it is writing (ns since epoch), 0 if none
	writeEnd  atomic.Int64  // when its last write returned (ns since epoch)
	lingerT   atomic.Pointer[time.Timer]
}

// pingWait is an outstanding ping request.
type pingWait struct {
	queued, written time.Time
	reply           chan time.Duration // nil for keepalive pings
}

// Client starts the client side of a session over conn, driven by one reader
// and one writer goroutine. It takes ownership of conn. A nil cfg means
// DefaultConfig(); an invalid cfg is an error and conn is left open.
func Client(conn io.ReadWriteCloser, cfg *Config) (*Session, error) {
	return runConn(conn, RoleClient, cfg)
}

// Server starts the server side of a session over conn; see Client.
func Server(conn io.ReadWriteCloser, cfg *Config) (*Session, error) {
	return runConn(conn, RoleServer, cfg)
}

func newSession(d Driver, role Role, c Config) *Session {
	s := &Session{
		cfg:      c,
		role:     role,
		drv:      d,
		log:      c.Logger,
		epoch:    time.Now(),
		budget:   flow.NewBudget(int64(c.MaxSessionWindow)),
		streams:  make(map[uint32]*Stream),
		nextID:   1,
		pings:    make(map[uint32]*pingWait),
		accepted: make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	if role == RoleServer {
		s.nextID = 2
	}
	if c.KeepAliveInterval > 0 {
		s.startKeepAlive()
	}
	return s
}

// now returns nanoseconds since the session started, on the monotonic clock.
func (s *Session) now() int64 { return int64(time.Since(s.epoch)) }

// OpenStream opens a new stream. It does not wait for the peer: the SYN goes
// out with the stream's first bytes (or alone at the next flush). It waits
// only while AcceptBacklog opens are unacknowledged, until ctx is done. It
// fails with ErrTooManyStreams at MaxStreams, with a *GoAwayError after a
// GoAway, and with the session's error once it has ended.
func (s *Session) OpenStream(ctx context.Context) (*Stream, error) {
	s.mu.Lock()
	for {
		if err := s.openErrLocked(); err != nil {
			if s.openWaits > 0 {
				notify(s.openSlot) // pass the news on to the next waiter
			}
			s.mu.Unlock()
			return nil, err
		}
		if s.unacked < s.cfg.AcceptBacklog {
			break
		}
		s.openWaits++
		if s.openSlot == nil {
			s.openSlot = make(chan struct{}, 1)
		}
		slot := s.openSlot
		s.mu.Unlock()
		var err error
		select {
		case <-slot:
		case <-s.done:
		case <-ctx.Done():
			err = ctx.Err()
		}
		s.mu.Lock()
		s.openWaits--
		if err != nil {
			s.mu.Unlock()
			return nil, err
		}
	}
	if len(s.streams) >= s.cfg.MaxStreams {
		s.mu.Unlock()
		return nil, ErrTooManyStreams
	}
	id := s.nextID
	if id == 0 || id > 1<<32-2 {
		s.mu.Unlock()
		return nil, ErrStreamIDsExhausted
	}
	s.nextID += 2
	st := newStream(s, id)
	s.streams[id] = st
	s.unacked++
	s.wakeOpenerLocked()
	s.mu.Unlock()
	s.stats.opened.Add(1)
	st.queueOpenFrame(frame.FlagSYN)
	return st, nil
}

func (s *Session) openErrLocked() error {
	select {
	case <-s.done:
		return s.err
	default:
	}
	if s.goAwayRecv != nil {
		return s.goAwayRecv
	}
	if s.goAwaySent {
		return &GoAwayError{Code: frame.CodeNormal}
	}
	return nil
}

// wakeOpenerLocked passes the wake-up on to another waiting opener while
// there is room, so one signal never strands a second waiter.
func (s *Session) wakeOpenerLocked() {
	if s.openWaits > 0 && s.unacked < s.cfg.AcceptBacklog {
		select {
		case s.openSlot <- struct{}{}:
		default:
		}
	}
}

// Open opens a stream; it is OpenStream without a context, for smux/yamux
// users.
func (s *Session) Open() (net.Conn, error) {
	st, err := s.OpenStream(context.Background())
	if err != nil {
		return nil, err
	}
	return st, nil
}

// AcceptStream waits for the next stream the peer opens and acknowledges it
// (the ACK rides on the first frame sent on it). It fails with the session's
// error once the session has ended, or ctx.Err().
func (s *Session) AcceptStream(ctx context.Context) (*Stream, error) {
	for {
		s.mu.Lock()
		if len(s.backlog) > 0 {
			st := s.backlog[0]
			s.backlog[0] = nil
			s.backlog = s.backlog[1:]
			if len(s.backlog) > 0 {
				notify(s.accepted) // for the next Accept
			} else {
				s.backlog = nil // let the array go
			}
			s.mu.Unlock()
			st.queueOpenFrame(frame.FlagACK)
			return st, nil
		}
		s.mu.Unlock()
		select {
		case <-s.accepted:
		case <-s.done:
			return nil, s.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
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
func (s *Session) NumStreams() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.streams)
}

// Done returns a channel closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// CloseChan is Done, under the name smux users know.
func (s *Session) CloseChan() <-chan struct{} { return s.done }

// IsClosed reports whether the session has ended.
func (s *Session) IsClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Err returns why the session ended, or nil while it runs: ErrSessionClosed
// after Close, a *GoAwayError after a GoAway either way, or a transport
// error; all match errors.Is(err, net.ErrClosed).
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Close ends the session now: it sends GoAway(Normal), fails every pending
// and future call on the session and its streams, and closes the transport
// once the GoAway is written (or after WriteTimeout). It is idempotent and
// returns nil.
func (s *Session) Close() error {
	code := frame.CodeNormal
	s.mu.Lock()
	sent := s.goAwaySent
	s.goAwaySent = true
	s.resetOnEnd = true
	s.mu.Unlock()
	if sent {
		s.end(ErrSessionClosed, nil)
	} else {
		s.end(ErrSessionClosed, &code)
	}
	return nil
}

// Shutdown ends the session gracefully: it sends GoAway(Normal), refuses new
// streams both ways, waits until every open stream has finished or ctx is
// done, then closes, and returns once the last frames are written and the
// transport closed (or WriteTimeout or ctx ended that wait). It returns
// ctx.Err() if ctx ended the wait for the streams, else nil. It is
// idempotent and may race with Close.
func (s *Session) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	first := !s.goAwaySent
	s.goAwaySent = true
	s.drainWaits++
	if s.drained == nil {
		s.drained = make(chan struct{}, 1)
	}
	drained := s.drained
	s.mu.Unlock()
	if first {
		s.queueGoAway()
	}
	var err error
	for err == nil && s.NumStreams() > 0 {
		select {
		case <-drained:
		case <-s.done:
			s.mu.Lock()
			s.drainWaits--
			s.mu.Unlock()
			return nil
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	s.mu.Lock()
	s.drainWaits--
	s.mu.Unlock()
	// Drained: the streams' last data and FINs may still be queued; they
	// go out before the transport closes.
	s.finish(ErrSessionClosed, nil, err == nil)
	if err == nil {
		// Returning earlier would let the caller close what carries the
		// transport (a process, a shared UDP socket) under the last frames.
		s.mu.Lock()
		if s.driverOut == nil && !s.driverGone {
			s.driverOut = make(chan struct{})
		}
		out, gone := s.driverOut, s.driverGone
		s.mu.Unlock()
		if !gone {
			select {
			case <-out:
			case <-ctx.Done():
			}
		}
	}
	return err
}

// end finishes the session once, dropping the data still queued on
// streams; see finish.
func (s *Session) end(err error, code *frame.ErrorCode) { s.finish(err, code, false) }

// finish finishes the session once: records err, optionally queues a GoAway
// with code, wakes every waiter and arranges for the driver to be closed
// after the last frames are written. Streams' queued data is written too if
// flush, else dropped.
func (s *Session) finish(err error, code *frame.ErrorCode, flush bool) {
	s.endOnce.Do(func() {
		// Armed before done is closed: the writer may call closeDriver as
		// soon as IsClosed reports true.
		s.lingerT.Store(time.AfterFunc(s.cfg.WriteTimeout, s.closeDriver))
		s.mu.Lock()
		s.err = err
		streams := s.streams
		s.streams = map[uint32]*Stream{}
		s.backlog = nil
		for _, st := range streams {
			st.setState(stCutOff | stRemoved)
		}
		if code != nil {
			// Queued once the streams are cut off (a reset arriving now
			// changes nothing) and before done is closed (the writer may
			// close the driver as soon as it sees nothing queued).
			s.sendMu.Lock()
			if s.resetOnEnd {
				// The peer's streams fail at once even where the transport
				// cannot signal its end (KCP); an RST for a stream the peer
				// never heard of is ignored.
				for id := range streams {
					s.appendCtrlLocked(frame.Header{Type: frame.TypeData, Flags: frame.FlagRST, StreamID: id})
				}
			}
			s.appendCtrlLocked(frame.Header{Type: frame.TypeGoAway, Length: uint32(*code)})
			s.sendMu.Unlock()
		}
		close(s.done)
		for _, p := range s.pings {
			if p.reply != nil {
				close(p.reply)
			}
		}
		s.pings = nil
		s.mu.Unlock()
		if s.keepalive != nil {
			s.keepalive.Stop()
		}
		for _, st := range streams {
			st.sessionEnded()
		}
		s.log.Debug("netmux session ended", "err", err)
		if !flush {
			s.dropQueuedData()
		}
		s.kick()
		// If nothing is queued or in flight the driver can go now.
		s.sendMu.Lock()
		idle := s.outputIdleLocked()
		s.sendMu.Unlock()
		if idle {
			s.closeDriver()
		}
	})
}

// closeDriver closes the transport once.
func (s *Session) closeDriver() {
	s.closeOnce.Do(func() {
		if t := s.lingerT.Load(); t != nil { // nil: called before end armed it
			t.Stop()
		}
		s.drv.Close()
		s.mu.Lock()
		s.driverGone = true
		if s.driverOut != nil {
			close(s.driverOut)
		}
		s.mu.Unlock()
	})
}

// transportClosed ends the session because the transport failed or ended.
func (s *Session) transportClosed(err error) {
	if err == nil {
		err = io.EOF
	}
	s.mu.Lock()
	ga := s.goAwayRecv
	s.mu.Unlock()
	if ga != nil && errors.Is(err, io.EOF) {
		// The peer said goodbye, then closed cleanly: its GoAway is why
		// the session ended. A reset is reported as such.
		s.end(ga, nil)
	} else {
		s.end(&transportError{cause: err}, nil)
	}
	s.closeDriver()
}

// fail ends the session after a violation by the peer, sending GoAway with
// the violation's code.
func (s *Session) fail(code frame.ErrorCode, cause error) error {
	err := &GoAwayError{Code: code, Cause: cause}
	s.log.Warn("netmux protocol violation", "code", code.String(), "err", cause)
	s.end(err, &code)
	return s.err
}

// removeStream drops st from the table once both directions are done.
func (s *Session) removeStream(st *Stream) {
	s.mu.Lock()
	if s.streams[st.id] == st {
		delete(s.streams, st.id)
		if !st.acked && st.opener() {
			s.ackedLocked()
		}
		if s.drainWaits > 0 {
			select {
			case s.drained <- struct{}{}:
			default:
			}
		}
	}
	ga := s.goAwayRecv
	last := ga != nil && len(s.streams) == 0
	s.mu.Unlock()
	st.flow.Release()
	st.stopLingering()
	if last {
		// The peer said goodbye and nothing is left open: finish, after
		// the last streams' queued data and FINs.
		s.finish(ga, nil, true)
	}
}

// ackedLocked records that one of our opens was acknowledged or ended.
func (s *Session) ackedLocked() {
	s.unacked--
	s.wakeOpenerLocked()
}
