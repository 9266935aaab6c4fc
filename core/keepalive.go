package core

import (
	"context"
	"time"

	"github.com/netmux/netmux/core/frame"
)

// Keepalive: every KeepAliveInterval a ping goes out ahead of queued data.
// Its timeout is counted from when the transport took it (the driver's
// write returned), and any inbound frame since it was queued proves the
// peer alive; otherwise the session ends with GoAway(Timeout). No new ping
// goes out while one waits for that proof, so a short interval never
// postpones the timeout. A transport that does not take a write for the
// timeout while the ping waits behind it (the peer stopped reading) ends
// the session the same way. Only the peer's silence counts, not our own
// delays: a ping still waiting for our busy writer (a CPU-starved process,
// many streams queueing data), or the peer's frames held up in our reader,
// are not held against the peer. One timer, no goroutine. The first ping
// goes out at start, to learn the round-trip time.

// startKeepAlive sends the first ping and arms the timer.
func (s *Session) startKeepAlive() {
	s.sendKeepAlivePing()
	// Assigned before it can fire: keepAliveFire re-arms it.
	s.keepalive = time.AfterFunc(time.Hour, s.keepAliveFire)
	s.keepalive.Reset(s.keepAliveFirstCheck())
}

// keepAliveFirstCheck is how long after a ping the timer looks again.
func (s *Session) keepAliveFirstCheck() time.Duration {
	return min(s.cfg.KeepAliveInterval, s.cfg.KeepAliveTimeout)
}

// keepAliveFire runs on the timer: it ends a session whose last ping went
// unanswered for the timeout, sends the next ping when the interval is up,
// and re-arms itself for whichever comes first.
func (s *Session) keepAliveFire() {
	if s.IsClosed() {
		return
	}
	now := s.now()
	if s.keepAlivePending() {
		if left := s.keepAliveLeft(now); left > 0 {
			// Look again by the next interval at the latest: the proof may
			// come before the timeout, and the pings must go on then.
			s.keepalive.Reset(time.Duration(min(left, int64(s.cfg.KeepAliveInterval))))
			return
		}
		s.stats.keepAliveTimeouts.Add(1)
		s.log.Warn("netmux keepalive timeout: no frame from the peer", "timeout", s.cfg.KeepAliveTimeout)
		s.abort(frame.CodeTimeout, errKeepAlive)
		return
	}
	if left := s.kaQueued.Load() + int64(s.cfg.KeepAliveInterval) - now; left > 0 {
		s.keepalive.Reset(time.Duration(left))
		return
	}
	s.sendKeepAlivePing()
	s.keepalive.Reset(s.keepAliveFirstCheck())
}

// keepAliveLeft returns how long the peer has left to prove itself alive
// for the pending keepalive ping: its timeout runs from when the transport
// took the ping or, while the ping is not written yet, from when the
// transport began the write it waits behind. A ping waiting in our own
// queue, with no write under way, has the whole timeout left.
func (s *Session) keepAliveLeft(now int64) int64 {
	from := s.kaWritten.Load()
	if from == 0 {
		begun := s.writeAt.Load()
		if begun == 0 {
			return int64(s.cfg.KeepAliveTimeout)
		}
		from = max(begun, s.kaQueued.Load())
	}
	return from + int64(s.cfg.KeepAliveTimeout) - now
}

// keepAlivePending reports whether no inbound frame has arrived since the
// last keepalive ping was queued. (Queued, not written: the peer's answer
// may be processed before the driver reports the ping written.) While the
// driver is inside Input the peer's bytes are in hand, however long our
// own locks hold the reader there.
func (s *Session) keepAlivePending() bool {
	return !s.receiving.Load() && s.lastRecv.Load() <= s.kaQueued.Load()
}

// receive is Engine.Input: input, with the session marked as receiving
// meanwhile and lastRecv stamped once the bytes are taken in.
func (s *Session) receive(p []byte) (int, error) {
	s.receiving.Store(true)
	n, err := s.input(p)
	s.lastRecv.Store(s.now())
	s.receiving.Store(false)
	return n, err
}

// sendKeepAlivePing queues a ping. The previous keepalive ping is
// forgotten: a peer proved alive by other frames need not reply to it.
func (s *Session) sendKeepAlivePing() {
	old := s.kaPing.Load()
	v, ok := s.newPing(nil)
	if !ok {
		return
	}
	s.mu.Lock()
	delete(s.pings, old)
	s.mu.Unlock()
	s.kaPing.Store(v)
	s.kaWritten.Store(0)
	s.kaQueued.Store(s.now())
	s.queueCtrl(frame.Header{Type: frame.TypePing, Length: v})
}

// newPing registers a ping and returns its value; false if the session ended.
func (s *Session) newPing(reply chan time.Duration) (uint32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pings == nil {
		return 0, false
	}
	s.pingSeq++
	s.pings[s.pingSeq] = &pingWait{queued: time.Now(), reply: reply}
	return s.pingSeq, true
}

// handOut is Engine.Output: output, noting when the driver got a batch to
// write (see keepAliveLeft).
func (s *Session) handOut(dst [][]byte) [][]byte {
	n := len(dst)
	dst = s.tx.output(dst)
	if len(dst) > n {
		s.writeAt.Store(max(s.now(), 1))
	}
	return dst
}

// directOut is handOut for a Write sent straight from its buffer (see
// sendQueue.direct).
func (s *Session) directOut(st *Stream, p []byte, bufs [][]byte, hdrs []byte, maxDirect int) ([][]byte, []byte, int) {
	bufs, hdrs, c := s.tx.direct(st, p, bufs, hdrs, maxDirect)
	if c > 0 {
		s.writeAt.Store(max(s.now(), 1))
	}
	return bufs, hdrs, c
}

// wrote is Engine.Written: written, with the write's end stamped first,
// before written waits for the send lock that busy streams may hold a
// while: the keepalive must not blame the peer for that wait.
func (s *Session) wrote(err error) {
	s.writeEnd.Store(s.now())
	s.writeAt.Store(0)
	s.written(err)
}

// pingsWritten timestamps the pings of the batch the driver last wrote,
// with when its write returned.
func (s *Session) pingsWritten(vals []uint32) {
	end := s.writeEnd.Load()
	now := s.epoch.Add(time.Duration(end))
	s.mu.Lock()
	for _, v := range vals {
		if p := s.pings[v]; p != nil {
			p.written = now
		}
	}
	s.mu.Unlock()
	ka := s.kaPing.Load()
	for _, v := range vals {
		if v == ka && s.cfg.KeepAliveInterval > 0 {
			s.kaWritten.Store(max(end, 1))
		}
	}
}

// pingReplied handles a ping reply: it updates the RTT estimate and wakes
// the Ping call waiting for it.
func (s *Session) pingReplied(v uint32) {
	s.mu.Lock()
	p := s.pings[v]
	delete(s.pings, v)
	s.mu.Unlock()
	if p == nil {
		return // unsolicited or late; harmless
	}
	from := p.written
	if from.IsZero() {
		from = p.queued // the reply overtook the driver's Written call
	}
	rtt := time.Since(from)
	if old := time.Duration(s.rtt.Load()); old > 0 {
		rtt = (7*old + rtt) / 8
	}
	s.rtt.Store(int64(rtt))
	if p.reply != nil {
		p.reply <- time.Since(from)
	}
}

// Ping sends a ping and waits for the reply; it returns the round-trip time,
// measured from when the ping was written.
func (s *Session) Ping(ctx context.Context) (time.Duration, error) {
	reply := make(chan time.Duration, 1)
	v, ok := s.newPing(reply)
	if !ok {
		return 0, s.Err()
	}
	s.queueCtrl(frame.Header{Type: frame.TypePing, Length: v})
	s.watch(1)
	defer s.watch(-1)
	select {
	case rtt, ok := <-reply:
		if !ok {
			return 0, s.err
		}
		return rtt, nil
	case <-s.done:
		return 0, s.err
	case <-ctx.Done():
		s.mu.Lock()
		delete(s.pings, v)
		s.mu.Unlock()
		return 0, ctx.Err()
	}
}

// RTT returns the smoothed round-trip time from pings, or 0 if none was
// answered yet.
func (s *Session) RTT() time.Duration { return time.Duration(s.rtt.Load()) }
