package core

import (
	"context"
	"time"

	"github.com/netmux/netmux/core/frame"
)

// Keepalive: every KeepAliveInterval a ping goes out ahead of queued data.
// Its timeout is counted from when the driver wrote it, and any inbound
// frame since it was queued proves the peer alive; otherwise the session
// ends with GoAway(Timeout). No new ping goes out while one waits for that
// proof, so a short interval never postpones the timeout. A ping that
// cannot even be written within the timeout (the peer stopped reading) ends
// the session the same way. Two timers, no goroutine. The first ping goes
// out at start, to learn the round-trip time.

// startKeepAlive sends the first ping and arms the interval timer.
func (s *Session) startKeepAlive() {
	s.keepalive = time.AfterFunc(s.cfg.KeepAliveInterval, s.keepAliveTick)
	s.kaCheck = time.AfterFunc(time.Hour, s.keepAliveCheck)
	s.kaCheck.Stop()
	s.sendKeepAlivePing()
}

func (s *Session) keepAliveTick() {
	if s.IsClosed() {
		return
	}
	// While the last ping waits for a sign of life its deadline stands: a
	// new ping would postpone it for ever when the interval is shorter
	// than the timeout.
	if !s.keepAlivePending() {
		s.sendKeepAlivePing()
	}
	s.keepalive.Reset(s.cfg.KeepAliveInterval)
}

// keepAlivePending reports whether no inbound frame has arrived since the
// last keepalive ping was queued. (Queued, not written: the peer's answer
// may be processed before the driver reports the ping written.)
func (s *Session) keepAlivePending() bool {
	return s.lastRecv.Load() <= s.kaQueued.Load()
}

// sendKeepAlivePing queues a ping and starts its timeout. The previous
// keepalive ping is forgotten: a peer proved alive by other frames need not
// reply to it.
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
	s.kaCheck.Reset(s.cfg.KeepAliveTimeout)
	s.queueCtrl(frame.Header{Type: frame.TypePing, Length: v})
}

// keepAliveCheck runs KeepAliveTimeout after the last keepalive ping was
// queued or written.
func (s *Session) keepAliveCheck() {
	if s.IsClosed() {
		return
	}
	if !s.keepAlivePending() {
		return // heard from the peer since the ping was queued
	}
	written := s.kaWritten.Load()
	if written != 0 {
		if left := written + int64(s.cfg.KeepAliveTimeout) - s.now(); left > 0 {
			s.kaCheck.Reset(time.Duration(left))
			return
		}
	}
	s.fail(frame.CodeTimeout, errKeepAlive)
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

// pingsWritten timestamps the pings the driver just wrote.
func (s *Session) pingsWritten(vals []uint32) {
	now := time.Now()
	s.mu.Lock()
	for _, v := range vals {
		if p := s.pings[v]; p != nil {
			p.written = now
		}
	}
	s.mu.Unlock()
	ka := s.kaPing.Load()
	for _, v := range vals {
		if v == ka && s.kaCheck != nil {
			s.kaWritten.Store(max(s.now(), 1))
			s.kaCheck.Reset(s.cfg.KeepAliveTimeout)
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
