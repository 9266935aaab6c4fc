package core

import (
	"errors"
	"io"
	"math"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/netmux/netmux/bufpool"
	"github.com/netmux/netmux/core/frame"
)

// goroutineDriver is the goroutine driver: one reader and one writer goroutine
// per session over any io.ReadWriteCloser, nothing per stream.
//
// Over TCP and unix sockets the goroutine that has the data does the I/O
// when no one else is doing it, so that a request/response round trip
// needs no goroutine hand-off (see docs/architecture.md, "Who reads and who
// writes"):
//   - the read role: a Stream.Read that finds its ring empty reads the
//     transport itself (leader/follower), dispatching every stream's
//     frames, until its own wake-up arrives; the reader goroutine reads
//     only while nobody else wants to, or when someone waits without being
//     able to read (Write, AcceptStream, OpenStream, Ping);
//   - the writer role: a Stream.Write that follows a Read on its stream
//     writes the session's batch itself when no write is in progress,
//     without ever blocking in the transport; what the socket does not
//     take at once goes on in the writer goroutine.
type goroutineDriver struct {
	conn io.ReadWriteCloser
	eng  *Engine
	wake chan struct{} // 1-buffered: output pending
	quit chan struct{} // closed by Close
	once sync.Once

	mu         sync.Mutex
	readerDone bool        // the reader goroutine has returned
	linger     *time.Timer // after a half-close: closes the connection at WriteTimeout
	closed     bool        // the connection is closed

	// set at start
	sock   bool // a TCP or unix socket: reads can be interrupted, writes tried without blocking
	direct bool // payloads may be read and written straight through (Linux sockets; raw is set)

	// the writer role
	wrole  atomic.Int32    // wFree, wHeld, wHanded or wDead
	missed atomic.Bool     // a Wake came while the role was held
	raw    syscall.RawConn // the socket; made at start where direct, else by the writer role at the first inline write
	// sys serialises the system calls on the socket where all of them go
	// through raw (where direct; elsewhere only inline writes take it): a
	// read then never waits in the kernel for the socket's lock behind a
	// writev, its thread asleep and its P held, but here, its goroutine
	// parked and its P free (see docs/architecture.md, "Send path"). It is
	// held across one non-blocking call only, never while waiting for the
	// socket: a writer holding it while the socket is full would keep the
	// reader from draining the peer, and two sessions could deadlock.
	sys sync.Mutex
	// owned by the writer role's holder
	bufs [][]byte
	flat []byte // one buffer for a batch: an inline write's, or any on a transport without vectored writes
	vecW func([][]byte) (int64, error)
	nb   net.Buffers // reused so that vectored writes do not allocate
	sw   *sockWriter // made at the first inline or direct write

	// the read role
	rd      atomic.Pointer[readRole] // made when a Read first wants to lead; nil: only the reader goroutine reads
	reading atomic.Bool
	rend    atomic.Int32 // rOpen, rEnded or rDiscard: the read side is over
	// owned by the read role's holder
	rbuf  []byte // small or large
	small []byte // the read buffer while traffic is light
	large *bufpool.Large
	have  int
	sr    *sockReader // made at the first read of a socket where direct
}

// readRole is the leader/follower state of a driver whose transport can
// interrupt a blocked Read (a read deadline in the past): see
// goroutineDriver.
type readRole struct {
	conn    interface{ SetReadDeadline(time.Time) error }
	want    atomic.Int32  // goroutines waiting to lead
	readers atomic.Int32  // goroutines in await (leading or not)
	passive atomic.Int32  // goroutines waiting for inbound frames that do not lead
	closing atomic.Bool   // Close was called: the reader goroutine reads to the end
	bgWake  chan struct{} // 1-buffered: the reader goroutine should take the role
	turn    chan struct{} // 1-buffered: the role was let go while someone wanted it
	grace   *time.Timer   // made stopped with the role: looks whether the role was left free
	armed   atomic.Bool   // grace is running
	period  atomic.Int64  // grace's period: readGrace, longer while leaders keep taking the role
	gen     atomic.Uint64 // counts releases of the role
	seen    atomic.Uint64 // gen at grace's last look

	intrMu sync.Mutex
	intr   bool // a read deadline in the past interrupts the leader's read
}

// Writer role states.
const (
	wFree   = iota // nobody writes
	wHeld          // a goroutine writes (the writer goroutine or a Write)
	wHanded        // an inline writer handed the rest of its batch to the writer goroutine
	wDead          // a write failed: nothing more is written
)

// Read side states.
const (
	rOpen    = iota
	rEnded   // the transport ended
	rDiscard // Input failed: the reader goroutine drops the rest
)

// smallRead is the reader's buffer size while reads stay small; reads that
// fill it switch to a pooled large buffer until traffic calms down, so an
// idle session holds only this much.
const smallRead = 2 << 10

// readGrace is how long, at least (at most twice that), the read role stays
// free after a leader let it go before the reader goroutine takes it: long
// enough that an application reading again after handling a reply finds it
// free, short enough that traffic nobody leads for (pings, a GoAway,
// window updates, data for a stream whose reader is busy) is read
// promptly; waits that cannot lead wake the reader goroutine at once. The
// timer is armed once per period, not reset at every release: resetting a
// timer at every round trip would wake the runtime's network poller each
// time. While leaders keep taking the role the period doubles, up to
// readGraceMax, so that a steady request/response stream wakes the
// runtime's timers a few hundred times a second, not thousands.
const (
	readGrace    = 250 * time.Microsecond
	readGraceMax = 4 * time.Millisecond
)

// inlineMax bounds the batch an inline writer copies into one buffer to
// write; a larger batch goes to the writer goroutine.
const inlineMax = 64 << 10

// buffersWriter is a transport with its own vectored write (kcp-go's
// UDPSession has one).
type buffersWriter interface {
	WriteBuffers(v [][]byte) (int, error)
}

func runConn(conn io.ReadWriteCloser, role Role, cfg *Config) (*Session, error) {
	if conn == nil {
		return nil, ErrNilTransport
	}
	d := &goroutineDriver{conn: conn, wake: make(chan struct{}, 1), quit: make(chan struct{})}
	d.small = make([]byte, smallRead)
	d.rbuf = d.small
	switch c := conn.(type) {
	case *net.TCPConn, *net.UnixConn:
		// net.Buffers uses writev on these.
		w := c.(io.Writer)
		d.vecW = func(v [][]byte) (int64, error) {
			d.nb = v
			return d.nb.WriteTo(w)
		}
		d.sock = true
		d.initDirect(c.(syscall.Conn))
	case buffersWriter:
		d.vecW = func(v [][]byte) (int64, error) {
			n, err := c.WriteBuffers(v)
			return int64(n), err
		}
	}
	e, err := NewEngine(d, role, cfg)
	if err != nil {
		return nil, err
	}
	d.eng = e
	d.reading.Store(true) // the reader goroutine reads until someone wants to lead
	go d.readLoop()
	go d.writeLoop()
	return e.Session(), nil
}

// Wake implements Driver. While a goroutine holds the writer role it only
// notes the wake-up: the holder looks at the queue again before letting go.
func (d *goroutineDriver) Wake() {
	d.missed.Store(true)
	if d.wrole.Load() == wFree {
		notify(d.wake)
	}
}

// Close implements Driver. A connection that can half-close (TCP, unix,
// TLS) is shut for writing first: the peer reads everything up to our last
// frame, then end-of-stream, while the reader goes on reading (and
// dropping) until the peer closes its side too, and then closes the
// connection. Closing at once, with bytes of the peer's still unread,
// would make the kernel reset the connection, which can destroy the last
// frames we wrote before the peer reads them. WriteTimeout bounds that
// wait. Other connections are closed at once. Either way both goroutines
// end.
func (d *goroutineDriver) Close() error {
	var err error
	d.once.Do(func() {
		close(d.quit)
		if r := d.rd.Load(); r != nil {
			// A leader's read ends now and the reader goroutine reads on,
			// to the end.
			r.closing.Store(true)
			d.interrupt()
			notify(r.bgWake)
		}
		d.mu.Lock()
		defer d.mu.Unlock()
		hc, ok := d.conn.(interface{ CloseWrite() error })
		if !ok || d.readerDone || hc.CloseWrite() != nil {
			d.closed = true
			err = d.conn.Close()
			return
		}
		d.linger = time.AfterFunc(d.eng.Session().cfg.WriteTimeout, d.closeConn)
	})
	return err
}

// closeConn closes the connection once, after a half-close.
func (d *goroutineDriver) closeConn() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.closed = true
	d.linger.Stop()
	d.conn.Close()
}

// readerExited records that the reader is gone and, if Close half-closed
// the connection meanwhile, closes it now: nobody reads any more.
func (d *goroutineDriver) readerExited() {
	d.mu.Lock()
	d.readerDone = true
	half := d.linger != nil
	d.mu.Unlock()
	if half {
		d.closeConn()
	}
}

// LocalAddr implements Addresser when the connection has addresses.
func (d *goroutineDriver) LocalAddr() net.Addr {
	if a, ok := d.conn.(Addresser); ok {
		return a.LocalAddr()
	}
	return muxAddr{}
}

// RemoteAddr implements Addresser when the connection has addresses.
func (d *goroutineDriver) RemoteAddr() net.Addr {
	if a, ok := d.conn.(Addresser); ok {
		return a.RemoteAddr()
	}
	return muxAddr{}
}

// readLoop is the reader goroutine: it holds the read role while nobody
// else wants it (always, where the transport cannot interrupt a read), and
// reads the transport to its end once the read side is over or Close was
// called.
func (d *goroutineDriver) readLoop() {
	defer d.readerExited()
	quit := d.quit
	held := true // it starts with the role
	for {
		if d.rend.Load() != rOpen {
			// Over: seen by us, or by a leader that left the role taken.
			d.finishRead()
			return
		}
		if held {
			if !d.readHeld() {
				continue
			}
			// Handed to a leader: sleep until the role is left free.
		}
		r := d.rd.Load() // not nil: readHeld let the role go
		select {
		case <-r.bgWake:
			held = d.acquireRead()
		case <-quit:
			quit = nil // from now on a leader letting go wakes us
			held = d.acquireRead()
		}
	}
}

// readHeld reads with the role held until someone wants to lead (then it
// lets the role go and returns true) or the read side is over (false).
func (d *goroutineDriver) readHeld() bool {
	for {
		if !d.step(nil) {
			return false
		}
		if r := d.rd.Load(); r != nil && r.want.Load() > 0 && !r.closing.Load() {
			d.releaseRead()
			return true
		}
	}
}

// step reads the transport once and feeds the engine; the caller holds the
// read role, and leads for k if k is not nil. It reports false once the
// read side is over: the role then stays taken, and the reader goroutine
// finishes the read side.
func (d *goroutineDriver) step(k *wakeup) bool {
	direct, n, err := d.readDirect(k)
	end := len(d.rbuf)
	if !direct {
		if lim := d.eng.s.readLimit(); lim > 0 && d.direct {
			end = min(end, d.have+lim)
		}
		n, err = d.read(d.rbuf[d.have:end])
	}
	if k != nil {
		k.leader.Store(nil)
	}
	if err != nil && d.interrupted(err) {
		err = nil
	}
	filled := d.have+n == len(d.rbuf)
	d.have += n
	if n > 0 {
		used, ierr := d.eng.Input(d.rbuf[:d.have])
		if ierr != nil {
			d.rend.Store(rDiscard)
			return false
		}
		d.have = copy(d.rbuf, d.rbuf[used:d.have]) // at most a partial header
		// Grow to a large buffer when reads fill the small one; shrink
		// back when traffic calms, so idle sessions hold little.
		switch {
		case direct || end < len(d.rbuf): // a limited read says nothing about traffic
		case d.large == nil && filled:
			d.large = bufpool.GetLarge()
			d.have = copy(d.large[:], d.rbuf[:d.have])
			d.rbuf = d.large[:]
		case d.large != nil && n < smallRead && d.have < frame.HeaderSize:
			d.have = copy(d.small, d.rbuf[:d.have])
			d.rbuf = d.small
			bufpool.PutLarge(d.large)
			d.large = nil
		}
	}
	if err != nil {
		d.eng.Closed(err)
		d.rend.Store(rEnded)
		return false
	}
	return true
}

// readDirect reads, for the leader k (nil: the reader goroutine), the rest
// of the Data payload under way, if at least directMin bytes of it are to
// come, straight to where it goes (see
// Session.payloadSpace), with room for the next header behind it; it
// waits for input like a Read, and like one is interrupted by a read
// deadline. It reports false when there is no such payload: the caller
// reads into its buffer as usual. Otherwise n bytes landed in d.rbuf after
// the payload, which is already delivered.
func (d *goroutineDriver) readDirect(k *wakeup) (ok bool, n int, err error) {
	if !d.direct || d.have != 0 || !d.eng.s.payloadPending() {
		return false, 0, nil
	}
	r := d.sockReader()
	r.did, r.n, r.err, r.lead = false, 0, nil, k
	err = d.raw.Read(r.fn)
	r.lead = nil
	if err != nil {
		return true, 0, err
	}
	return r.did, r.n, r.err
}

// finishRead ends the read side in the reader goroutine: after a protocol
// error it drops what the peer still sends (see discardUntilClosed).
func (d *goroutineDriver) finishRead() {
	if d.rend.Load() == rDiscard {
		d.discardUntilClosed(d.rbuf)
	}
	if d.large != nil {
		bufpool.PutLarge(d.large)
		d.large = nil
	}
	if r := d.rd.Load(); r != nil {
		r.grace.Stop()
	}
}

// acquireRead takes the read role if it is free.
func (d *goroutineDriver) acquireRead() bool {
	return !d.reading.Load() && d.reading.CompareAndSwap(false, true)
}

// releaseRead lets the read role go and makes sure someone takes it: one
// goroutine waiting to lead is told, and the reader goroutine takes it
// after a grace period unless a leader took it meanwhile (at once after
// Close).
func (d *goroutineDriver) releaseRead() {
	r := d.rd.Load()
	d.reading.Store(false)
	if r.want.Load() > 0 {
		notify(r.turn)
	}
	if r.closing.Load() {
		notify(r.bgWake)
		return
	}
	r.gen.Add(1)
	if !r.armed.Load() && r.armed.CompareAndSwap(false, true) {
		r.grace.Reset(time.Duration(r.period.Load()))
	}
}

// graceFired runs when the grace timer fires: if the role is free and
// was not taken and let go again since the last look, the reader goroutine
// takes it; if it was, the timer looks again a period later, the period
// doubled (leaders are busy).
func (d *goroutineDriver) graceFired() {
	r := d.rd.Load()
	r.armed.Store(false)
	if d.reading.Load() {
		return // a leader has it; its release arms the timer again
	}
	if g := r.gen.Load(); r.seen.Swap(g) != g {
		p := min(2*r.period.Load(), int64(readGraceMax))
		r.period.Store(p)
		if r.armed.CompareAndSwap(false, true) {
			r.grace.Reset(time.Duration(p))
		}
		return
	}
	r.period.Store(int64(readGrace))
	notify(r.bgWake)
}

// left implements leadReader: a reader whose stream is over will not come
// back for the role; if someone waits for the peer without leading, the
// reader goroutine takes the role now instead of after the grace period.
func (d *goroutineDriver) left() {
	if r := d.rd.Load(); r != nil && r.passive.Load() > 0 && !d.reading.Load() {
		notify(r.bgWake)
	}
}

// newReadRole makes the read role's state when a Read first wants to lead:
// an idle session does without it.
func (d *goroutineDriver) newReadRole() *readRole {
	r := &readRole{conn: d.conn.(net.Conn), bgWake: make(chan struct{}, 1), turn: make(chan struct{}, 1)}
	r.period.Store(int64(readGrace))
	// Made before r is shared, so that it exists whenever it can fire: made
	// at the first release instead, it fired once before it was stored.
	r.grace = time.AfterFunc(time.Hour, d.graceFired)
	r.grace.Stop()
	if !d.rd.CompareAndSwap(nil, r) {
		return d.rd.Load()
	}
	select {
	case <-d.quit: // Close did not see it
		r.closing.Store(true)
	default:
	}
	return r
}

// await implements leadReader: it blocks until k is notified or done is
// closed, reading the transport meanwhile if no one else does. It may
// return early (a spurious wake-up): the caller checks its condition again.
func (d *goroutineDriver) await(k *wakeup, done <-chan struct{}, lead bool) {
	r := d.rd.Load()
	if r == nil && lead && d.sock {
		r = d.newReadRole()
	}
	if r == nil || r.closing.Load() {
		block(k, done) // the reader goroutine reads (to the end, once closing)
		return
	}
	r.readers.Add(1)
	defer r.readers.Add(-1)
	if !lead {
		r.passive.Add(1)
		if !d.reading.Load() {
			notify(r.bgWake)
		}
		block(k, done)
		r.passive.Add(-1)
		return
	}
	if d.acquireRead() {
		d.lead(k, done)
		return
	}
	r.want.Add(1)
	if d.acquireRead() { // let go meanwhile (releaseRead saw no want)
		r.want.Add(-1)
		d.lead(k, done)
		return
	}
	select {
	case <-k.c:
	case <-done:
	case <-r.turn: // the role was let go: try to take it
	}
	r.want.Add(-1)
}

// lead reads the transport with the role held until k is notified (its
// goroutine's own frames arrived, or its deadline, a close or the session's
// end), then lets the role go. A notify on k while it blocks in the
// transport's Read interrupts that Read (see wait.go).
func (d *goroutineDriver) lead(k *wakeup, done <-chan struct{}) {
	r := d.rd.Load()
	for !r.closing.Load() {
		k.leader.Store(d)
		select {
		case <-k.c:
			k.leader.Store(nil)
			d.releaseRead()
			return
		default:
		}
		if !d.step(k) {
			notify(r.bgWake) // it finishes the read side
			return
		}
		if len(k.c) == 0 && r.want.Load() > 0 {
			// Nothing came for us but someone else wants to lead: an
			// idle stream's reader must not keep the role from the
			// busy ones. Hand it over and wait as a follower.
			d.releaseRead()
			block(k, done)
			return
		}
	}
	d.releaseRead()
}

// watch implements leadReader: delta +1 registers a goroutine that waits
// for inbound frames without reading the transport itself, -1 withdraws it.
// A free role then goes to the reader goroutine at once.
func (d *goroutineDriver) watch(delta int32) {
	r := d.rd.Load()
	if r == nil {
		return
	}
	if r.passive.Add(delta) > 0 && delta > 0 && !d.reading.Load() {
		notify(r.bgWake)
	}
}

// interrupt makes the Read in progress, if any, return: a read deadline in
// the past, which the reader clears (see interrupted).
func (d *goroutineDriver) interrupt() {
	r := d.rd.Load()
	r.intrMu.Lock()
	r.intr = true
	r.conn.SetReadDeadline(longAgo)
	r.intrMu.Unlock()
}

// longAgo is a read deadline in the past.
var longAgo = time.Unix(1, 0)

// interrupted reports whether err is a Read's deadline error caused by
// interrupt, and clears that deadline.
func (d *goroutineDriver) interrupted(err error) bool {
	r := d.rd.Load()
	if r == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	r.intrMu.Lock()
	defer r.intrMu.Unlock()
	if !r.intr {
		return false
	}
	r.intr = false
	r.conn.SetReadDeadline(time.Time{})
	return true
}

// discardUntilClosed reads and drops whatever the peer still sends once
// the session has ended, until the peer closes its side or the connection
// is closed. A peer blocked writing to us (a synchronous pipe, a full
// socket) could otherwise not take our final GoAway, and closing a TCP
// socket with unread data resets it, which may destroy our last frames
// before the peer reads them (see Close).
func (d *goroutineDriver) discardUntilClosed(buf []byte) {
	for {
		if _, err := d.conn.Read(buf); err != nil && !d.interrupted(err) {
			return
		}
	}
}

// writeLoop is the writer goroutine: woken by Wake, it takes the writer
// role and writes until nothing is pending; woken by an inline writer that
// handed it the role, it first finishes that writer's batch.
func (d *goroutineDriver) writeLoop() {
	for {
		select {
		case <-d.wake:
		case <-d.quit:
			if d.wrole.Load() != wHanded {
				return
			}
		}
		if d.wrole.CompareAndSwap(wHanded, wHeld) {
			if !d.written(d.write(d.bufs)) {
				return
			}
		} else if !d.wrole.CompareAndSwap(wFree, wHeld) {
			if d.wrole.Load() == wDead {
				return
			}
			continue // an inline writer has the role; it looks again before letting go
		}
		d.letOthersQueue()
		if !d.flush() {
			return
		}
		d.releaseWrite()
	}
}

// letOthersQueue yields the writer goroutine's P once before it takes a
// batch, when the session has several streams: the goroutines the runtime
// made ready meanwhile (streams answering the replies the reader just
// dispatched, say) run first, and their frames join this batch instead of
// each waking the writer for a writev of its own. A Wake puts the writer
// goroutine first in line, ahead of them. Measured against writing at
// once, 6 interleaved rounds: RRN64 0.46× the time, 0.42× the CPU, p99
// 0.31×; BulkN64 0.84× the CPU per GiB; Burst 0.75×; single-stream work
// within noise. A process whose goroutines keep every P busy pays for it:
// the writer then waits behind them once more (1.4× the latency there).
func (d *goroutineDriver) letOthersQueue() {
	if d.eng.s.NumStreams() > 1 {
		runtime.Gosched()
	}
}

// flush writes batches until Output has nothing; the caller holds the
// writer role. It reports false if a write failed.
func (d *goroutineDriver) flush() bool {
	for {
		d.missed.Store(false)
		d.bufs = d.eng.Output(d.bufs[:0])
		if len(d.bufs) == 0 {
			return true
		}
		if !d.written(d.write(d.bufs)) {
			return false
		}
	}
}

// written reports the batch in d.bufs written and reports whether the
// writer role goes on; after a failure nothing more is written.
func (d *goroutineDriver) written(err error) bool {
	clear(d.bufs)
	d.eng.Written(err)
	if err != nil {
		d.wrole.Store(wDead)
		return false
	}
	return true
}

// releaseWrite lets the writer role go; a Wake that came meanwhile wakes
// the writer goroutine.
func (d *goroutineDriver) releaseWrite() {
	d.wrole.Store(wFree)
	if d.missed.Load() {
		notify(d.wake)
	}
}

// Bounds of a Write sent straight from its buffer (writeDirect): smaller
// writes are copied, as coalescing them costs less than a system call
// each; a larger one goes in pieces.
const (
	directSendMin = 16 << 10
	directSendMax = 256 << 10
)

// writeDirect implements inlineWriter: if nobody is writing, it writes the
// start of p, a Write's buffer on st, as Data frames straight from p with
// one non-blocking writev(2), and returns the payload bytes it took (0:
// the caller queues p as usual). What the socket does not take at once is
// copied and goes on from the writer goroutine, so p is free on return.
func (d *goroutineDriver) writeDirect(st *Stream, p []byte) int {
	if !d.direct || d.wrole.Load() != wFree || !d.wrole.CompareAndSwap(wFree, wHeld) {
		return 0
	}
	if d.sw == nil {
		d.sw = d.newSockWriter()
	}
	w := d.sw
	var c int
	d.bufs, w.hdrs, c = d.eng.s.directOut(st, p, d.bufs[:0], w.hdrs[:0], directSendMax)
	if c == 0 {
		d.releaseWrite()
		return 0
	}
	w.n, w.err = 0, nil
	err := d.raw.Write(w.vecFn)
	if err == nil {
		err = w.err
	}
	if err != nil {
		d.written(err)
		return c
	}
	if w.n == frame.HeaderSize*len(d.bufs)/2+c {
		d.eng.s.stats.bytesOutDirect.Add(uint64(c))
		if d.written(nil) {
			d.releaseWrite()
		}
		return c
	}
	// The rest must outlive p: a copy of it goes on in the writer
	// goroutine.
	d.flat = d.flat[:0]
	skip, direct := w.n, 0
	for i, b := range d.bufs {
		k := min(skip, len(b))
		if i%2 == 1 { // a payload
			direct += k
		}
		d.flat = append(d.flat, b[k:]...)
		skip -= k
	}
	d.eng.s.stats.bytesOutDirect.Add(uint64(direct))
	clear(d.bufs)
	d.bufs = append(d.bufs[:0], d.flat)
	d.handOn()
	return c
}

// takeWrite implements inlineWriter: it takes the writer role if the
// transport can be written without blocking, nobody is writing, and no
// other goroutine waits to read: with several streams busy, their writes
// coalesce better in the writer goroutine than one system call each.
func (d *goroutineDriver) takeWrite() bool {
	r := d.rd.Load()
	if r == nil || r.readers.Load() > 0 || d.wrole.Load() != wFree || !d.wrole.CompareAndSwap(wFree, wHeld) {
		return false
	}
	if d.raw == nil {
		if d.raw = rawConn(d.conn.(syscall.Conn)); d.raw == nil {
			d.releaseWrite()
			return false
		}
	}
	if d.sw == nil {
		d.sw = d.newSockWriter()
	}
	return true
}

// writeHeld implements inlineWriter: with the role taken by takeWrite, it
// writes what is pending as far as the socket takes it without blocking,
// hands the rest (and any batch over inlineMax) to the writer goroutine,
// and lets the role go.
func (d *goroutineDriver) writeHeld() {
	for {
		d.missed.Store(false)
		d.bufs = d.eng.Output(d.bufs[:0])
		if len(d.bufs) == 0 {
			d.releaseWrite()
			return
		}
		b, ok := d.flatten(d.bufs, inlineMax)
		if !ok {
			d.handOn()
			return
		}
		n, err := d.tryWrite(b)
		if err == nil && n < len(b) {
			clear(d.bufs[1:])
			d.bufs = append(d.bufs[:0], b[n:])
			d.handOn()
			return
		}
		if !d.written(err) {
			return
		}
	}
}

// handOn gives the writer goroutine the role, to write what is left of the
// batch in d.bufs and finish it.
func (d *goroutineDriver) handOn() {
	d.wrole.Store(wHanded)
	notify(d.wake)
}

// flatten returns the batch as one slice, copied into d.flat if it has
// several; false if it is longer than limit.
func (d *goroutineDriver) flatten(bufs [][]byte, limit int) ([]byte, bool) {
	if len(bufs) == 1 {
		return bufs[0], len(bufs[0]) <= limit
	}
	d.flat = d.flat[:0]
	for _, b := range bufs {
		if len(d.flat)+len(b) > limit {
			return nil, false
		}
		d.flat = append(d.flat, b...)
	}
	return d.flat, true
}

// tryWrite writes b to the socket as far as it takes it now, never
// waiting: it returns how much was written.
func (d *goroutineDriver) tryWrite(b []byte) (int, error) {
	w := d.sw
	w.try, w.n, w.err = b, 0, nil
	err := d.raw.Write(w.tryFn)
	w.try = nil
	if err != nil {
		return 0, err
	}
	return w.n, w.err
}

// sockError is the error of the system call op on the socket, as the
// socket's own Read or Write reports it (with its addresses).
func (d *goroutineDriver) sockError(op string, errno error) error {
	c := d.conn.(net.Conn)
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: os.NewSyscallError(op, errno)}
}

// write writes one batch: vectored where the transport supports it, else
// copied into one buffer so that each batch is a single Write (one TLS
// record run, one pipe hand-off).
func (d *goroutineDriver) write(bufs [][]byte) error {
	if d.direct {
		return d.writeAll(bufs)
	}
	if d.vecW != nil {
		_, err := d.vecW(bufs)
		return err
	}
	b, _ := d.flatten(bufs, math.MaxInt)
	_, err := d.conn.Write(b)
	if cap(d.flat) > 1<<20 {
		d.flat = nil // do not pin a rare huge batch
	}
	return err
}
