package core

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
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
	// Ownership: the fields under "stream table" are guarded by mu; tx
	// (and every stream's tx) by its own lock, never held across I/O; in
	// belongs to the one goroutine calling Engine.Input; the rest are set
	// once or atomic.
	cfg    Config
	role   Role
	drv    Driver
	log    *slog.Logger
	epoch  time.Time // base of the monotonic nanosecond clocks below
	budget *flow.Budget

	// stream table
	mu           sync.Mutex
	streams      map[uint32]*Stream
	nextID       uint32       // next id this side opens
	unacked      int          // our opens the peer has not acknowledged
	goAwaySent   bool         // we sent GoAway: no new streams
	goAwayRecv   *GoAwayError // the peer's GoAway, if any: no new streams
	acceptClosed bool         // the Listener view was closed: end once idle
	resetOnEnd   bool         // Close: RST every open stream before the GoAway
	pings        map[uint32]*pingWait
	pingSeq      uint32

	backlog  []*Stream     // peer-opened streams not yet accepted, oldest first
	accepted chan struct{} // signalled when the backlog gains a stream
	// Made by the first waiter; most sessions never need them.
	tableCh    chan struct{} // closed at the next change openers or Shutdown wait for
	driverOut  chan struct{} // closed once the driver is closed
	driverGone bool          // the driver is closed

	tx sendQueue // outbound

	// inbound
	in    inbound
	heard bool // the peer's first frame was plausible net-mux v1 (see sniff)

	stats counters

	// lifecycle
	done      chan struct{} // closed when the session ends
	endOnce   sync.Once
	err       error         // why it ended; written before done is closed
	closeOnce sync.Once     // closes the driver
	lastRecv  atomic.Int64  // ns since epoch of the last inbound bytes
	rtt       atomic.Int64  // smoothed round-trip time in ns, 0 if unknown
	keepalive *time.Timer   // next keepalive ping or timeout check
	kaPing    atomic.Uint32 // value of the last keepalive ping
	kaWritten atomic.Int64  // when it was written (ns since epoch), 0 if not yet
	kaQueued  atomic.Int64  // when it was queued (ns since epoch)
	lingerT   atomic.Pointer[time.Timer]
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
		in:       inbound{dec: frame.NewDecoder(c.MaxFrameSize)},
	}
	s.tx.init(&c, d.Wake)
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
	s.mu.Lock()
	for {
		if err := s.openErrLocked(); err != nil {
			s.mu.Unlock()
			return nil, err
		}
		full := len(s.streams) >= s.cfg.MaxStreams
		if full && !waitForSlot {
			s.mu.Unlock()
			return nil, ErrTooManyStreams
		}
		if !full && s.unacked < s.cfg.AcceptBacklog {
			break
		}
		changed := s.tableChangeLocked()
		s.mu.Unlock()
		select {
		case <-changed:
		case <-s.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		s.mu.Lock()
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

// tableChangeLocked returns a channel that is closed at the next change of
// the stream table that a waiting opener or Shutdown may be waiting for.
func (s *Session) tableChangeLocked() <-chan struct{} {
	if s.tableCh == nil {
		s.tableCh = make(chan struct{})
	}
	return s.tableCh
}

// tableChangedLocked wakes every goroutine waiting in tableChangeLocked's
// channel: a stream left, an open was acknowledged, or a GoAway arrived.
// Each re-checks its own condition, so no wake-up can be lost.
func (s *Session) tableChangedLocked() {
	if s.tableCh != nil {
		close(s.tableCh)
		s.tableCh = nil
	}
}

// AcceptStream waits for the next stream the peer opens and acknowledges it
// (the ACK rides on the first frame sent on it). It fails with the session's
// error once the session has ended, ErrListenerClosed once the Listener
// view was closed, or ctx.Err().
func (s *Session) AcceptStream(ctx context.Context) (*Stream, error) {
	for {
		s.mu.Lock()
		if s.acceptClosed && !s.IsClosed() {
			s.mu.Unlock()
			notify(s.accepted) // for the next Accept
			return nil, ErrListenerClosed
		}
		if len(s.backlog) > 0 {
			st := s.backlog[0]
			st.inBacklog = false
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
	s.mu.Unlock()
	if first {
		s.tx.goAway()
	}
	var err error
	for {
		s.mu.Lock()
		open := len(s.streams)
		changed := s.tableChangeLocked()
		s.mu.Unlock()
		if open == 0 {
			break
		}
		select {
		case <-changed:
			continue
		case <-s.done:
			return nil
		case <-ctx.Done():
			err = ctx.Err()
		}
		break
	}
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
		// The final frames are queued once the streams are cut off (a
		// reset arriving now changes nothing) and before done is closed
		// (the writer may close the driver as soon as it sees nothing
		// queued).
		var resets []uint32
		if code != nil && s.resetOnEnd {
			// The peer's streams fail at once even where the transport
			// cannot signal its end (KCP); an RST for a stream the peer
			// never heard of is ignored.
			for id := range streams {
				resets = append(resets, id)
			}
		}
		s.tx.end(resets, code, flush)
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
		// If nothing is queued or in flight the driver can go now.
		if s.tx.idle() {
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
		s.end(&transportError{cause: err, silent: s.lastRecv.Load() == 0}, nil)
	}
	s.closeDriver()
}

// queueCtrl queues a control frame ahead of all data, or ends the session
// if the peer floods them without reading the replies.
func (s *Session) queueCtrl(h frame.Header) {
	if !s.tx.control(h) {
		s.fail(frame.CodeProtocolError, errCtrlFlood)
	}
}

// written releases the last batch, or ends the session if writing failed.
func (s *Session) written(err error) {
	pings, n, idle := s.tx.written(err)
	s.stats.bytesOut.Add(uint64(n))
	if len(pings) > 0 {
		s.pingsWritten(pings)
	}
	if err != nil {
		s.writeFailed(err)
		return
	}
	if idle && s.IsClosed() {
		s.closeDriver()
	}
}

// writeFailed handles a failed write. If the peer had said GoAway, it has
// most likely sent everything and closed: what the reader still holds or is
// about to read must be delivered, so the reader ends the session at EOF
// (or WriteTimeout does). Otherwise the transport is broken: end now.
func (s *Session) writeFailed(err error) {
	s.mu.Lock()
	said := s.goAwayRecv != nil
	s.mu.Unlock()
	if !said {
		s.transportClosed(err)
		return
	}
	time.AfterFunc(s.cfg.WriteTimeout, func() { s.transportClosed(err) })
}

// fail ends the session after a violation by the peer, sending GoAway with
// the violation's code.
func (s *Session) fail(code frame.ErrorCode, cause error) error {
	s.log.Warn("netmux protocol violation", "code", code.String(), "err", cause)
	return s.abort(code, cause)
}

// abort ends the session now with GoAway(code); cause is the local reason.
func (s *Session) abort(code frame.ErrorCode, cause error) error {
	s.end(&GoAwayError{Code: code, Cause: cause}, &code)
	return s.err
}

// removeStream drops st from the table once both directions are done; a
// stream not accepted yet also leaves the accept backlog.
func (s *Session) removeStream(st *Stream) {
	s.mu.Lock()
	if s.streams[st.id] == st {
		delete(s.streams, st.id)
		if !st.acked && st.opener() {
			s.unacked--
		}
		if st.inBacklog {
			st.inBacklog = false
			s.backlog = slices.DeleteFunc(s.backlog, func(b *Stream) bool { return b == st })
		}
		s.tableChangedLocked()
	}
	why := s.idleEndLocked()
	s.mu.Unlock()
	st.ended()
	if why != nil {
		// Goodbye was said and nothing is left open: finish, after the
		// last streams' queued data and FINs.
		s.finish(why, nil, true)
	}
}

// idleEndLocked returns why the session ends now that no stream is open,
// or nil if it goes on: the peer's GoAway, or our closed Listener view.
func (s *Session) idleEndLocked() error {
	switch {
	case len(s.streams) > 0:
		return nil
	case s.goAwayRecv != nil:
		return s.goAwayRecv
	case s.acceptClosed:
		return ErrSessionClosed
	}
	return nil
}

// ackedLocked records that the peer acknowledged one of our opens.
func (s *Session) ackedLocked() {
	s.unacked--
	s.tableChangedLocked()
}
