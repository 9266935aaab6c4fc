package core_test

import (
	"io"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// A Ping request is answered with a Ping ACK carrying the same value.
func TestRawPingReply(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.write(golden(t, "ping"))
	p.expectBytes(golden(t, "ping_ack"))
	p.ping(0xdeadbeef)
	p.ping(0)
	// An unsolicited reply is harmless.
	p.send(hdr(frame.TypePing, frame.FlagACK, 0, 42), nil)
	p.ping(7)
}

// Session.Ping sends a request (stream 0, flags 0) and returns the RTT once
// the reply with the same value arrives.
func TestRawSessionPing(t *testing.T) {
	p := newRawPeer(t, core.RoleClient, nil)
	type result struct {
		rtt time.Duration
		err error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := contextFor(rawTimeout)
		defer cancel()
		rtt, err := p.sess.Ping(ctx)
		done <- result{rtt, err}
	}()
	h, _ := p.next()
	if h.Type != frame.TypePing || h.Flags != 0 || h.StreamID != 0 {
		t.Fatalf("session sent %v; want a Ping request", h)
	}
	p.send(hdr(frame.TypePing, frame.FlagACK, 0, h.Length+1), nil) // not ours
	p.send(hdr(frame.TypePing, frame.FlagACK, 0, h.Length), nil)
	r := <-done
	if r.err != nil || r.rtt <= 0 {
		t.Fatalf("Ping = %v, %v; want a positive RTT", r.rtt, r.err)
	}
	if p.sess.RTT() <= 0 {
		t.Fatalf("RTT() after a Ping = %v", p.sess.RTT())
	}
}

// keepAliveConfig turns keepalive on with a short interval and timeout.
func keepAliveConfig(c *core.Config) {
	c.KeepAliveInterval = 10 * time.Millisecond
	c.KeepAliveTimeout = 50 * time.Millisecond
}

// keepAliveLenient pings as often but waits longer, so that a busy test
// machine cannot make an answering peer look dead.
func keepAliveLenient(c *core.Config) {
	c.KeepAliveInterval = 5 * time.Millisecond
	c.KeepAliveTimeout = 200 * time.Millisecond
}

// A peer that reads but never answers is declared dead: GoAway(Timeout),
// and Err is the *GoAwayError with CodeTimeout.
func TestRawKeepAliveTimeout(t *testing.T) {
	p := newRawPeer(t, core.RoleClient, keepAliveConfig)
	start := time.Now()
	pings := 0
	for {
		h, _ := p.next()
		if h.Type == frame.TypePing && h.Flags == 0 {
			pings++
			continue
		}
		if h != hdr(frame.TypeGoAway, 0, 0, uint32(frame.CodeTimeout)) {
			t.Fatalf("session sent %v; want pings, then GoAway(Timeout)", h)
		}
		break
	}
	p.expectEOF()
	expectGoAwayErr(t, p.sess.Err(), frame.CodeTimeout, false)
	if elapsed := time.Since(start); elapsed < 50*time.Millisecond {
		t.Fatalf("declared dead after %v, before the 50ms timeout", elapsed)
	}
	if pings == 0 {
		t.Fatal("no ping before the timeout")
	}
}

// A peer that answers every keepalive ping keeps the session alive well past
// the timeout, and the pings measure the RTT; any inbound frame counts as a
// sign of life, not only the reply.
func TestRawKeepAliveAnswered(t *testing.T) {
	for _, c := range []struct {
		name   string
		answer func(v uint32) frame.Header
	}{
		{"Reply", func(v uint32) frame.Header { return hdr(frame.TypePing, frame.FlagACK, 0, v) }},
		{"OtherTraffic", func(v uint32) frame.Header { return hdr(frame.TypeWindowUpdate, 0, 99, 1) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newRawPeer(t, core.RoleClient, keepAliveLenient)
			start := time.Now()
			for pings := 0; pings < 20 || time.Since(start) < 300*time.Millisecond; {
				h, _ := p.next()
				if h.Type != frame.TypePing || h.Flags != 0 {
					t.Fatalf("session sent %v after %d pings, %v; want only pings", h, pings, time.Since(start))
				}
				pings++
				p.send(c.answer(h.Length), nil)
			}
			if err := p.sess.Err(); err != nil {
				t.Fatalf("session ended although the peer answered: %v", err)
			}
			if c.name == "Reply" && p.sess.RTT() <= 0 {
				t.Fatalf("RTT() = %v after answered pings", p.sess.RTT())
			}
		})
	}
}

// A peer that stops reading (and sends nothing) is declared dead too: the
// keepalive ping cannot even be written, the session ends with a Timeout
// GoAway error and closes the transport after WriteTimeout.
func TestRawKeepAlivePeerNotReading(t *testing.T) {
	p := newRawPeer(t, core.RoleClient, func(c *core.Config) {
		keepAliveConfig(c)
		c.WriteTimeout = 50 * time.Millisecond
	})
	select {
	case <-p.sess.Done():
	case <-time.After(rawTimeout):
		t.Fatal("session still running with a peer that reads nothing")
	}
	expectGoAwayErr(t, p.sess.Err(), frame.CodeTimeout, false)
	// The transport is closed once WriteTimeout gives up on the last
	// frames: the peer's reads end.
	for {
		if _, _, err := p.read(rawTimeout); err != nil {
			if err != io.EOF {
				t.Fatalf("peer read: %v; want io.EOF once the session closed the transport", err)
			}
			return
		}
	}
}
