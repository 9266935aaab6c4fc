package core

import (
	"context"
	"time"

	"github.com/netmux/netmux/core/frame"
)

// Keepalive: every KeepAliveInterval a ping goes out ahead of queued data.
// Its timeout is counted from when the driver wrote it, and any inbound
// frame after that proves the peer alive; otherwise the session ends with
// GoAway(Timeout). A ping that cannot even be written within the timeout
// (the peer stopped reading) ends the session the same way. Two timers, no
// goroutine. The first ping goes out at start, to learn the round-trip time.

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
	s.sendKeepAlivePing()
	s.keepalive.Reset(s.cfg.KeepAliveInterval)
}

// sendKeepAlivePing queues a ping and starts its timeout.
func (s *Session) sendKeepAlivePing() {
	v, ok := s.newPing(nil)
	if !ok {
		return
	}
	s.kaPing.Store(v)
	s.kaWritten.Store(0)
	s.kaCheck.Reset(s.cfg.KeepAliveTimeout)
	s.queueCtrl(frame.Header{Type: frame.TypePing, Length: v})
}

// keepAliveCheck runs KeepAliveTimeout after the last keepalive ping was
// queued or written.
func (s *Session) keepAliveCheck() {
	if s.IsClosed() {
		return
	}
	written := s.kaWritten.Load()
	if written != 0 && s.lastRecv.Load() >= written {
		return // heard from the peer since the ping went out
	}
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
