package core

import (
	"errors"
	"time"

	"github.com/netmux/netmux/bufpool"
	"github.com/netmux/netmux/core/frame"
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

// kick makes sure the driver will call Output soon.
func (s *Session) kick() {
	if s.outPending.CompareAndSwap(false, true) {
		s.drv.Wake()
	}
}

// queueCtrl queues a control frame ahead of all data. It does nothing once
// the session has ended.
func (s *Session) queueCtrl(h frame.Header) {
	s.sendMu.Lock()
	if s.IsClosed() {
		s.sendMu.Unlock()
		return
	}
	if s.ctrl != nil && len(s.ctrl.B) >= ctrlLimit {
		s.sendMu.Unlock()
		s.fail(frame.CodeProtocolError, errCtrlFlood)
		return
	}
	s.appendCtrlLocked(h)
	s.sendMu.Unlock()
	s.kick()
}

// queueGoAway queues a graceful GoAway(Normal). Control frames overtake
// data, but a GoAway must not overtake the SYN of a stream opened before it
// (the peer would refuse that stream), so it waits until those SYNs are
// handed out.
func (s *Session) queueGoAway() {
	s.sendMu.Lock()
	s.goAwayDue = true
	s.sendMu.Unlock()
	s.kick()
}

func (s *Session) appendCtrlLocked(h frame.Header) {
	if s.ctrl == nil {
		s.ctrl = ctrlBufs.Get()
	}
	h.Version = frame.Version
	s.ctrl.B = frame.AppendHeader(s.ctrl.B, h)
	if h.Type == frame.TypePing && h.Flags == 0 {
		s.pingsQueued = append(s.pingsQueued, h.Length)
	}
}

// markReadyLocked puts st in the round-robin queue if it is not there.
func (s *Session) markReadyLocked(st *Stream) {
	if !st.inReady {
		st.inReady = true
		s.ready = append(s.ready, st)
	}
}

// output hands the driver the control frames, then one buffer from each
// stream with data, round robin, up to about batchLimit bytes.
func (s *Session) output(dst [][]byte) [][]byte {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	s.outPending.Store(false)
	if len(s.inflight) > 0 || s.ctrlOut != nil {
		return dst // the previous batch is not Written yet
	}
	if s.goAwayDue && s.synQueued == 0 {
		s.goAwayDue = false
		s.appendCtrlLocked(frame.Header{Type: frame.TypeGoAway, Length: uint32(frame.CodeNormal)})
	}
	if s.ctrl != nil {
		s.inflightLen += len(s.ctrl.B)
		dst = append(dst, s.ctrl.B)
		s.ctrlOut = s.ctrl
		s.ctrl = nil
		s.pingsOut = append(s.pingsOut, s.pingsQueued...)
		s.pingsQueued = s.pingsQueued[:0]
	}
	total, i := 0, 0
	for ; i < len(s.ready) && total < batchLimit; i++ {
		st := s.ready[i]
		st.inReady = false
		b := st.out
		if b == nil {
			continue // dropped by a reset
		}
		if !st.sent && st.opener() {
			s.synQueued-- // its SYN is in this batch
		}
		st.out, st.lastHdr, st.sent = nil, -1, true
		dst = append(dst, b.B)
		s.inflight = append(s.inflight, b)
		total += len(b.B)
		s.queued -= len(b.B)
	}
	s.inflightLen += total
	rest := copy(s.ready, s.ready[i:])
	clear(s.ready[rest:])
	s.ready = s.ready[:rest]
	if rest > 0 || s.goAwayDue {
		s.outPending.Store(true) // the driver calls Output again anyway
	}
	if total > 0 {
		for _, st := range s.spaceWaits {
			st.spaceWait = false
			st.ww.notify()
		}
		clear(s.spaceWaits)
		s.spaceWaits = s.spaceWaits[:0]
	}
	return dst
}

// written releases the last batch, or ends the session if writing failed.
func (s *Session) written(err error) {
	s.sendMu.Lock()
	if s.ctrlOut != nil {
		ctrlBufs.Put(s.ctrlOut)
		s.ctrlOut = nil
	}
	for i, b := range s.inflight {
		dataBufs.Put(b)
		s.inflight[i] = nil
	}
	s.inflight = s.inflight[:0]
	if err == nil {
		s.stats.bytesOut.Add(uint64(s.inflightLen))
	}
	s.inflightLen = 0
	pings := s.pingsOut
	s.pingsOut = s.pingsOut[:0]
	idle := s.outputIdleLocked()
	s.sendMu.Unlock()
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

// outputIdleLocked reports whether nothing is queued, due or in flight:
// once the session has ended, the driver may then be closed.
func (s *Session) outputIdleLocked() bool {
	return s.ctrl == nil && s.ctrlOut == nil && len(s.inflight) == 0 &&
		len(s.ready) == 0 && !s.goAwayDue
}

// dropQueuedData releases every stream's queued data once the session has
// ended; only control frames (the final GoAway) still go out.
func (s *Session) dropQueuedData() {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	for _, st := range s.ready {
		st.inReady = false
		if st.out != nil {
			dataBufs.Put(st.out)
			st.out = nil
		}
	}
	clear(s.ready)
	s.ready = s.ready[:0]
	s.queued = 0
	s.synQueued = 0
}

// notify sends a wake-up on a 1-buffered channel without blocking.
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
