package core

import (
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/netmux/netmux/bufpool"
	"github.com/netmux/netmux/core/frame"
	"github.com/netmux/netmux/core/internal/flow"
)

// frameBuf holds encoded frames: a pooled, variable-size buffer.
type frameBuf = bufpool.Buffer

// Control frames go in a calibrating pool (their batches are small and
// similar); stream data in fixed size classes, so that a busy stream's
// large buffer is always recycled (see bufpool.Slabs).
var (
	ctrlBufs bufpool.Pool
	dataBufs bufpool.Slabs
)

const (
	// batchLimit is roughly how many data bytes one Output hands the
	// driver: large enough for few system calls, small enough that control
	// frames queued meanwhile wait little.
	batchLimit = 512 << 10
	// ctrlLimit bounds queued control frames. Only a peer that floods
	// pings or SYNs while not reading our replies gets there.
	ctrlLimit = 1 << 20
)

var errCtrlFlood = errors.New("peer floods control frames without reading the replies")

// sendQueue is a session's outbound side: control frames, the streams' own
// queued frames and the scheduler that orders them, the batch handed to the
// driver, and what rides on them: queued bytes and the writers waiting for
// room, SYN ordering for a graceful GoAway, pings in flight. Streams call
// its methods, never its fields. Its lock is never held across I/O.
type sendQueue struct {
	maxQueued int     // MaxSendBuffer
	maxFrame  int     // MaxFrameSize
	dialect   Dialect // how frames are encoded
	wake      func()  // the driver's Wake

	pending atomic.Bool // a Wake is due or pending

	// producers serialises the application's goroutines (writes, opens,
	// FINs, priorities) before they take mu, so that the driver and the
	// inbound dispatcher, which take mu directly, wait behind at most one
	// of them however many streams are writing: a contended Go mutex hands
	// over in arrival order, and hundreds of writers queued on mu starved
	// the writer and the keepalive's ping reply into a false timeout.
	producers sync.Mutex

	mu          sync.Mutex
	ctrl        *frameBuf   // control frames, written before any data
	sched       scheduler   // streams with frames queued
	queued      int         // bytes in streams' out buffers
	roomWaits   fifo        // writers waiting for room in the send buffer, in order
	promised    int         // room promised to writers woken from roomWaits, not yet taken
	ctrlOut     *frameBuf   // control frames handed to the driver, not yet written
	inflight    []*frameBuf // stream buffers handed to the driver, not yet written
	inflightLen int         // bytes in ctrlOut and inflight, or of a direct write
	pingsQueued []uint32    // ping requests in ctrl
	pingsOut    []uint32    // ping requests in ctrlOut
	synQueued   int         // our streams whose SYN is queued, not yet handed out
	goAwayDue   bool        // a graceful GoAway waits for those SYNs to go first
	ended       bool        // the session ended: no new control frames
	broken      bool        // a write failed: nothing more will be written
}

// txState is a stream's part of the send queue, guarded by its lock.
type txState struct {
	out     *frameBuf // encoded frames not yet handed to the driver
	lastHdr int       // offset in out of the last frame's header, -1 if none
	inSched bool      // in the scheduler
	// A writer that finds no room waits for one of two things: its own
	// buffer (full at 4 frames) to be taken by output (waitOwn), or room in
	// the session's send buffer (waitRoom: in roomWaits). When output takes
	// the buffer of a waitOwn writer, it moves to roomWaits; from there it
	// is woken in turn once the room freed admits it, with that room
	// promised to it until it writes or leaves.
	waitOwn  bool
	waitRoom bool
	want     int             // bytes (with a header) the waiting writer asked for
	promised int             // room promised to it when woken from roomWaits
	sent     bool            // some frame of the stream went to the driver
	credit   flow.SendCredit // bytes the stream may still send
	prio     Priority
}

func (q *sendQueue) init(c *Config, wake func()) {
	q.maxQueued, q.maxFrame, q.dialect, q.wake = c.MaxSendBuffer, c.MaxFrameSize, c.Dialect, wake
	q.sched = &priorityScheduler{}
}

func newTxState() txState {
	return txState{lastHdr: -1, credit: flow.NewSendCredit(frame.InitialWindow), prio: DefaultPriority}
}

// kick makes sure the driver will call Output soon.
func (q *sendQueue) kick() {
	if q.pending.CompareAndSwap(false, true) {
		q.wake()
	}
}

// control queues a control frame ahead of all data. It reports false if
// the control queue is flooded (the session must end); after the session
// ended it does nothing.
func (q *sendQueue) control(h frame.Header) bool {
	q.mu.Lock()
	if q.ended {
		q.mu.Unlock()
		return true
	}
	if q.ctrl != nil && len(q.ctrl.B) >= ctrlLimit {
		q.mu.Unlock()
		return false
	}
	q.appendCtrlLocked(h)
	q.mu.Unlock()
	q.kick()
	return true
}

// goAway queues a graceful GoAway(Normal). Control frames overtake data,
// but a GoAway must not overtake the SYN of a stream opened before it (the
// peer would refuse that stream), so it waits until those SYNs are handed
// out.
func (q *sendQueue) goAway() {
	q.mu.Lock()
	q.goAwayDue = true
	q.mu.Unlock()
	q.kick()
}

// end closes the queue when the session ends: it queues RSTs for resets
// and, if code is not nil, a GoAway with it, after which no control frame
// is taken. The streams' queued data is dropped unless flush.
func (q *sendQueue) end(resets []uint32, code *frame.ErrorCode, flush bool) {
	q.mu.Lock()
	for _, id := range resets {
		q.appendCtrlLocked(frame.Header{Type: frame.TypeData, Flags: frame.FlagRST, StreamID: id})
	}
	if code != nil {
		q.appendCtrlLocked(frame.Header{Type: frame.TypeGoAway, Length: uint32(*code)})
	}
	q.ended = true
	if !flush {
		for st := q.sched.pop(); st != nil; st = q.sched.pop() {
			st.tx.inSched = false
			if st.tx.out != nil {
				dataBufs.Put(st.tx.out)
				st.tx.out = nil
			}
		}
		q.dequeuedLocked(q.queued)
		q.synQueued = 0
	}
	q.mu.Unlock()
	q.kick()
}

// appendCtrlLocked encodes a control frame into ctrl. Callers build h
// without a version, a ping request with flags 0, a GoAway with our code.
func (q *sendQueue) appendCtrlLocked(h frame.Header) {
	if q.ctrl == nil {
		q.ctrl = ctrlBufs.Get()
	}
	// The dialect's encoding: version byte, ping request flag, GoAway code.
	d := q.dialect
	h.Version = d.version()
	switch h.Type {
	case frame.TypePing:
		if h.Flags == 0 { // a request
			h.Flags = d.pingRequest()
			q.pingsQueued = append(q.pingsQueued, h.Length)
		}
	case frame.TypeGoAway:
		h.Length = uint32(d.wireCode(frame.ErrorCode(h.Length)))
	}
	q.ctrl.B = frame.AppendHeader(q.ctrl.B, h)
}

// output hands the driver the control frames, then one buffer from each
// stream with data, in the scheduler's order, up to about batchLimit bytes.
// See Engine.Output.
func (q *sendQueue) output(dst [][]byte) [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending.Store(false)
	if q.inflightLen > 0 {
		return dst // the previous batch (or a direct write) is not Written yet
	}
	if q.goAwayDue && q.synQueued == 0 {
		q.goAwayDue = false
		q.appendCtrlLocked(frame.Header{Type: frame.TypeGoAway, Length: uint32(frame.CodeNormal)})
	}
	if q.ctrl != nil {
		q.inflightLen += len(q.ctrl.B)
		dst = append(dst, q.ctrl.B)
		q.ctrlOut, q.ctrl = q.ctrl, nil
		q.pingsOut = append(q.pingsOut, q.pingsQueued...)
		q.pingsQueued = q.pingsQueued[:0]
	}
	total := 0
	for total < batchLimit {
		st := q.sched.pop()
		if st == nil {
			break
		}
		tx := &st.tx
		tx.inSched = false
		b := tx.out
		if b == nil {
			continue // dropped by a reset
		}
		if !tx.sent && st.opener() {
			q.synQueued-- // its SYN is in this batch
		}
		tx.out, tx.lastHdr, tx.sent = nil, -1, true
		if tx.waitOwn {
			tx.waitOwn = false
			q.waitForRoomLocked(st) // woken below once the room admits it
		}
		dst = append(dst, b.B)
		q.inflight = append(q.inflight, b)
		total += len(b.B)
	}
	q.inflightLen += total
	if !q.sched.empty() || q.goAwayDue {
		q.pending.Store(true) // the driver calls Output again anyway
	}
	if total > 0 {
		q.dequeuedLocked(total)
	}
	return dst
}

// written releases the last batch and returns the ping requests it held,
// the bytes written (0 if err), and whether the session has ended with
// nothing queued, due or in flight any more, so that the driver may close:
// decided under the lock, so that data a stream queues just before the end
// is never cut off.
func (q *sendQueue) written(err error) (pings []uint32, n int, drained bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ctrlOut != nil {
		ctrlBufs.Put(q.ctrlOut)
		q.ctrlOut = nil
	}
	for i, b := range q.inflight {
		dataBufs.Put(b)
		q.inflight[i] = nil
	}
	q.inflight = q.inflight[:0]
	if err == nil {
		n = q.inflightLen
	} else {
		q.broken = true
	}
	q.inflightLen = 0
	if len(q.pingsOut) > 0 {
		pings = append(pings, q.pingsOut...)
		q.pingsOut = q.pingsOut[:0]
	}
	return pings, n, q.ended && q.idleLocked()
}

// idle reports whether nothing is queued, due or in flight, or nothing can
// be written any more: once the session has ended, the driver may then be
// closed.
func (q *sendQueue) idle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.idleLocked()
}

func (q *sendQueue) idleLocked() bool {
	return q.broken || q.ctrl == nil && q.inflightLen == 0 && q.sched.empty() && !q.goAwayDue
}

// queuedBytes returns the bytes streams have queued, for Stats.
func (q *sendQueue) queuedBytes() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued
}

// dequeuedLocked records that n queued bytes left the send buffer (handed
// to the driver or dropped) and wakes the writers the room now admits.
func (q *sendQueue) dequeuedLocked(n int) {
	q.queued -= n
	q.wakeForRoomLocked()
}

// freeLocked returns the room in the send buffer not promised to a woken
// writer.
func (q *sendQueue) freeLocked() int { return q.maxQueued - q.queued - q.promised }

// wakeForRoomLocked wakes the writers waiting for room, in order, while the
// room not yet promised admits the first of them, and promises each what it
// asked for or what is left. A writer is admitted by all it asked for, or
// by a full frame if it asked for more: each wake-up then moves a frame or
// the rest of a Write, not a sliver of either (MaxSendBuffer is at least a
// frame, so once the queue drains the first writer is always admitted).
// Whenever the free room grows, it runs, so that while writers wait the
// room not promised never admits the first: no wake-up is lost, and a
// writer never wakes only to find its room taken.
func (q *sendQueue) wakeForRoomLocked() {
	for !q.roomWaits.empty() {
		st := q.roomWaits.peek()
		free := q.freeLocked()
		if free <= frame.HeaderSize || free < min(st.tx.want, q.maxFrame) {
			return
		}
		q.roomWaits.pop()
		tx := &st.tx
		tx.waitRoom = false
		tx.promised = min(tx.want, free)
		q.promised += tx.promised
		st.ww.notify()
	}
}

// waitForRoomLocked queues st's writer behind the others waiting for room.
func (q *sendQueue) waitForRoomLocked(st *Stream) {
	st.tx.waitRoom = true
	q.roomWaits.push(st)
}

// releaseLocked takes back the room promised to st's writer once it has
// taken what it could (a writer that still waits keeps its place in
// roomWaits) or, if leaving, stops its waiting. The caller then runs
// wakeForRoomLocked, in case the room was not all taken.
func (q *sendQueue) releaseLocked(st *Stream, leaving bool) {
	tx := &st.tx
	if leaving {
		if tx.waitRoom {
			tx.waitRoom = false
			q.roomWaits.remove(st)
		}
		tx.waitOwn = false
	}
	q.promised -= tx.promised
	tx.promised = 0
}

// stopWaiting is called by a Write that waited, as it returns: it stops
// waiting, and room still promised to it passes on to the next writers.
func (q *sendQueue) stopWaiting(st *Stream) {
	q.producers.Lock()
	defer q.producers.Unlock()
	q.mu.Lock()
	q.releaseLocked(st, true)
	q.wakeForRoomLocked()
	q.mu.Unlock()
}

// open queues the empty frame that carries SYN (open) or ACK (accept) on
// st; data written before it leaves rides in the same frame.
func (q *sendQueue) open(st *Stream, flag frame.Flags) {
	q.producers.Lock()
	defer q.producers.Unlock()
	q.mu.Lock()
	if st.state.Load()&(stReset|stCutOff) != 0 {
		q.mu.Unlock()
		return
	}
	q.appendFrameLocked(st, flag)
	if flag == frame.FlagSYN {
		q.synQueued++
	}
	q.mu.Unlock()
	q.kick()
}

// write queues as much of p on st as its credit and the room in the queue
// allow, and returns how many bytes. If none fit, st is registered to be
// woken (by credit or room) and write returns 0; the caller waits. It fails
// with the stream's error once st can no longer be written.
func (q *sendQueue) write(st *Stream, p []byte) (int, error) {
	q.producers.Lock()
	defer q.producers.Unlock()
	q.mu.Lock()
	c, err := q.writeLocked(st, p)
	q.releaseLocked(st, false)
	q.wakeForRoomLocked() // room promised to st and not taken passes on
	q.mu.Unlock()
	if c > 0 {
		q.kick()
	}
	return c, err
}

// direct takes the start of p to be written straight from p by the
// caller, which holds the driver's writer role, when nothing queued must go
// before it: st has nothing queued (its SYN or ACK went out), no control
// frame waits, no batch is in flight, no writer waits for room in the
// send buffer and the session goes on. It takes at
// most maxDirect bytes and st's credit, appends the frames to bufs (their
// headers encoded into hdrs) and returns them with hdrs and the payload
// bytes taken, 0 if none. The caller writes bufs and reports them with
// Written, as for an Output batch.
func (q *sendQueue) direct(st *Stream, p []byte, bufs [][]byte, hdrs []byte, maxDirect int) ([][]byte, []byte, int) {
	q.producers.Lock()
	defer q.producers.Unlock()
	q.mu.Lock()
	defer q.mu.Unlock()
	tx := &st.tx
	if tx.out != nil || q.ctrl != nil || q.inflightLen > 0 || q.goAwayDue || q.ended || q.broken ||
		!q.roomWaits.empty() || tx.waitOwn || tx.promised > 0 || st.state.Load()&(stFinSent|stReset|stCutOff) != 0 {
		return bufs, hdrs, 0 // see above; nor does it overtake writers waiting for room
	}
	c := int(min(int64(min(len(p), maxDirect)), tx.credit.Available()))
	for off := 0; off < c; {
		k := min(c-off, q.maxFrame)
		at := len(hdrs)
		hdrs = frame.AppendHeader(hdrs, q.dataHeader(st, 0, k))
		bufs = append(bufs, hdrs[at:len(hdrs):len(hdrs)], p[off:off+k])
		q.inflightLen += frame.HeaderSize + k
		off += k
	}
	if c > 0 {
		tx.credit.Spend(c)
		tx.sent = true
	}
	return bufs, hdrs, c
}

// writeLocked is write's work under the lock.
func (q *sendQueue) writeLocked(st *Stream, p []byte) (int, error) {
	if state := st.state.Load(); state&(stFinSent|stReset|stCutOff) != 0 {
		return 0, st.stateErr(state)
	}
	if len(p) == 0 {
		return 0, nil
	}
	room := q.roomLocked(st, len(p))
	if room <= 0 {
		return 0, nil
	}
	c := min(room, len(p))
	q.appendDataLocked(st, p[:c])
	st.tx.credit.Spend(c)
	return c, nil
}

// roomLocked returns how many of the want bytes st may queue now: within
// its own buffer's limit, its credit, and the free room plus any promised
// to it. If none for want of room, it registers st to be woken when there
// is: when output takes st's own full buffer, or when the send buffer has
// room for it, after the writers already waiting (a writer that was not
// promised room does not overtake them).
func (q *sendQueue) roomLocked(st *Stream, want int) int {
	tx := &st.tx
	own := 4 * q.maxFrame
	if tx.out != nil {
		own -= len(tx.out.B)
	}
	free := q.freeLocked() + tx.promised
	tx.waitOwn = false
	switch {
	case own <= frame.HeaderSize:
		tx.waitOwn = true
		own = 4 * q.maxFrame // once output takes the buffer
	case free <= frame.HeaderSize || tx.promised == 0 && !q.roomWaits.empty():
		if !tx.waitRoom {
			q.waitForRoomLocked(st)
		}
	default:
		return int(min(int64(min(own, free)-frame.HeaderSize), tx.credit.Available()))
	}
	tx.want = frame.HeaderSize + int(min(int64(min(want, own-frame.HeaderSize)), tx.credit.Available()))
	return 0
}

// grant applies a WindowUpdate from the peer to st.
func (q *sendQueue) grant(st *Stream, inc uint32) {
	q.mu.Lock()
	st.tx.credit.Grant(inc)
	q.mu.Unlock()
}

// fin queues st's FIN after its data. It returns the state before, and
// whether it queued the FIN (not if st was finished, reset or cut off).
func (q *sendQueue) fin(st *Stream) (old uint32, queued bool) {
	q.producers.Lock()
	defer q.producers.Unlock()
	q.mu.Lock()
	defer q.mu.Unlock()
	old = st.state.Load()
	if old&(stFinSent|stReset|stCutOff) != 0 {
		return old, false
	}
	st.setState(stFinSent)
	q.appendFlagLocked(st, frame.FlagFIN)
	return old, true
}

// resetAfterFin queues an RST behind st's queued data and FIN and marks st
// reset; false if it was reset or cut off already.
func (q *sendQueue) resetAfterFin(st *Stream) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if st.setState(stReset|stRecvReset)&(stReset|stCutOff) != 0 {
		return false
	}
	q.appendFrameLocked(st, frame.FlagRST)
	return true
}

// drop drops st's queued frames when it is reset and reports whether the
// peer knows the stream (so must be told with an RST): it does unless we
// opened it and its SYN never left.
func (q *sendQueue) drop(st *Stream) (peerKnows bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	tx := &st.tx
	if tx.out != nil {
		q.dequeuedLocked(len(tx.out.B))
		dataBufs.Put(tx.out)
		tx.out, tx.lastHdr = nil, -1
		if !tx.sent && st.opener() {
			q.synQueued-- // its SYN never leaves
		}
	}
	return tx.sent || !st.opener()
}

// setPriority changes st's priority, moving it in the scheduler if it has
// frames queued.
func (q *sendQueue) setPriority(st *Stream, p Priority) {
	q.producers.Lock()
	defer q.producers.Unlock()
	q.mu.Lock()
	defer q.mu.Unlock()
	if !st.tx.inSched {
		st.tx.prio = p
		return
	}
	q.sched.remove(st)
	st.tx.prio = p
	q.sched.push(st)
}

// appendDataLocked encodes p as Data frames at the end of st's out buffer,
// growing the last frame while it has room so that small writes coalesce.
func (q *sendQueue) appendDataLocked(st *Stream, p []byte) {
	tx := &st.tx
	// Room for all of p and its headers at once, from the size classes.
	tx.out = dataBufs.Grow(tx.out, len(p)+(len(p)/q.maxFrame+1)*frame.HeaderSize)
	for len(p) > 0 {
		if tx.lastHdr < 0 || tx.lastFlags()&frame.FlagFIN != 0 || tx.lastLen() >= q.maxFrame {
			q.appendFrameLocked(st, 0)
		}
		k := min(len(p), q.maxFrame-tx.lastLen())
		tx.out.B = append(tx.out.B, p[:k]...)
		binary.BigEndian.PutUint32(tx.out.B[tx.lastHdr+8:], uint32(tx.lastLen()+k))
		q.queued += k
		p = p[k:]
	}
}

// appendFrameLocked starts a new, empty Data frame with flags in st's out
// buffer and schedules st.
func (q *sendQueue) appendFrameLocked(st *Stream, flags frame.Flags) {
	tx := &st.tx
	if tx.out == nil {
		tx.out = dataBufs.Get(frame.HeaderSize)
	}
	tx.lastHdr = len(tx.out.B)
	tx.out.B = frame.AppendHeader(tx.out.B, q.dataHeader(st, flags, 0))
	q.queued += frame.HeaderSize
	if !tx.inSched {
		tx.inSched = true
		q.sched.push(st)
	}
}

// dataHeader is the header of a Data frame of st with flags and an n-byte
// payload.
func (q *sendQueue) dataHeader(st *Stream, flags frame.Flags, n int) frame.Header {
	return frame.Header{Version: q.dialect.version(), Type: frame.TypeData, Flags: flags, StreamID: st.id, Length: uint32(n)}
}

// appendFlagLocked sets flag on st's last queued frame, or queues an empty
// frame carrying it (always, where the dialect wants a FIN apart).
func (q *sendQueue) appendFlagLocked(st *Stream, flag frame.Flags) {
	tx := &st.tx
	if tx.lastHdr < 0 || flag == frame.FlagFIN && tx.lastLen() > 0 && q.dialect.finApart() {
		q.appendFrameLocked(st, flag)
		return
	}
	b := tx.out.B[tx.lastHdr+2:]
	binary.BigEndian.PutUint16(b, binary.BigEndian.Uint16(b)|uint16(flag))
}

func (tx *txState) lastLen() int {
	return int(binary.BigEndian.Uint32(tx.out.B[tx.lastHdr+8:]))
}

func (tx *txState) lastFlags() frame.Flags {
	return frame.Flags(binary.BigEndian.Uint16(tx.out.B[tx.lastHdr+2:]))
}
