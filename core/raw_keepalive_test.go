package core_test

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
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

// handDriver is a Driver the test runs by hand, standing in for one whose
// goroutines the process is slow to run.
type handDriver struct {
	wake    chan struct{}                 // 1-buffered: Wake was called
	entered atomic.Bool                   // the test's reader is inside Input
	hold    atomic.Pointer[chan struct{}] // once entered, the next Wake waits for it to close
}

func newHandDriver() *handDriver { return &handDriver{wake: make(chan struct{}, 1)} }

// Wake signals the test's writer; the reader's Wake from inside Input may
// be held (see hold).
func (d *handDriver) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
	if d.entered.Load() {
		if h := d.hold.Swap(nil); h != nil {
			<-*h
		}
	}
}

func (d *handDriver) Close() error { return nil }

// awaitWake waits until the engine has something to write.
func (d *handDriver) awaitWake(t *testing.T) {
	t.Helper()
	select {
	case <-d.wake:
	case <-time.After(rawTimeout):
		t.Fatal("the engine never woke its driver")
	}
}

// output hands e's pending frames to the peer as the driver's writer would,
// calling answer before Written (a fast peer may answer before the writer
// has returned), and returns the values of the ping requests among them.
// It may run off the test's goroutine: it reports with t.Errorf.
func output(t *testing.T, e *core.Engine, answer func(pings []uint32)) []uint32 {
	t.Helper()
	var all []uint32
	for {
		bufs := e.Output(nil)
		if len(bufs) == 0 {
			return all
		}
		var pings []uint32
		for b := bytes.Join(bufs, nil); len(b) > 0; {
			h, _, n, err := frame.Decode(b, 1<<20)
			if err != nil || n == 0 {
				t.Errorf("engine wrote a bad frame %v: %v", h, err) // may run off the test's goroutine
				return all
			}
			if h.Type == frame.TypePing && h.Flags == 0 {
				pings = append(pings, h.Length)
			}
			b = b[n:]
		}
		if answer != nil {
			answer(pings)
		}
		e.Written(nil)
		all = append(all, pings...)
	}
}

// A keepalive ping waiting in our own queue, because our writer is slow to
// come for it (a CPU-starved process, a writer busy with other streams),
// is not held against the peer: its timeout runs from when the transport
// takes it, so a peer that answers it at once is alive, however late.
func TestRawKeepAliveStarvedWriter(t *testing.T) {
	d := newHandDriver()
	cfg := core.DefaultConfig()
	keepAliveLenient(cfg)
	e, err := core.NewEngine(d, core.RoleClient, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := e.Session()
	t.Cleanup(func() { s.Close() })
	answer := func(pings []uint32) {
		for _, v := range pings {
			if _, err := e.Input(encode(hdr(frame.TypePing, frame.FlagACK, 0, v), nil)); err != nil {
				t.Fatalf("Input of a ping reply: %v", err)
			}
		}
	}
	for round := range 3 {
		d.awaitWake(t)
		// The starved writer: the ping waits in the queue for twice its
		// timeout before the writer comes for it.
		time.Sleep(2 * cfg.KeepAliveTimeout)
		if err := s.Err(); err != nil {
			t.Fatalf("round %d: the session ended while its own writer held the ping: %v", round, err)
		}
		if pings := output(t, e, answer); len(pings) == 0 {
			t.Fatalf("round %d: woken, but no keepalive ping to write", round)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatalf("session ended although the peer answered every ping: %v", err)
	}
}

// While our reader is held up inside Input (by our own busy locks on a
// starved process; here by the driver), it has the peer's bytes in hand:
// the keepalive goes on pinging but does not declare the peer dead, however
// long the reader takes.
func TestRawKeepAliveReaderHeld(t *testing.T) {
	d := newHandDriver()
	cfg := core.DefaultConfig()
	keepAliveConfig(cfg)
	e, err := core.NewEngine(d, core.RoleClient, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := e.Session()
	t.Cleanup(func() { s.Close() })
	d.awaitWake(t)
	output(t, e, nil) // the first ping, not answered

	// The writer keeps writing, and counts the pings it writes.
	written := make(chan struct{}, 16)
	stop := make(chan struct{})
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		for {
			select {
			case <-d.wake:
			case <-stop:
				return
			}
			for range output(t, e, nil) {
				select {
				case written <- struct{}{}:
				default:
				}
			}
		}
	}()
	defer func() { close(stop); <-writerDone }()

	// The peer's ping request; answering it, the reader is held in Input.
	release := make(chan struct{})
	var released sync.Once
	defer released.Do(func() { close(release) })
	d.hold.Store(&release)
	readerDone := make(chan error, 1)
	go func() {
		d.entered.Store(true)
		_, err := e.Input(encode(hdr(frame.TypePing, 0, 0, 77), nil))
		readerDone <- err
	}()
	// Two keepalive pings written while the reader is held, then twice the
	// timeout with neither answered: only the held reader keeps the
	// session up.
	for range 2 {
		select {
		case <-written:
		case <-s.Done():
			t.Fatalf("session ended while its reader held the peer's frame: %v", s.Err())
		case <-time.After(rawTimeout):
			t.Fatal("no keepalive ping written while the reader was held")
		}
	}
	select {
	case <-s.Done():
		t.Fatalf("session ended while its reader held the peer's frame: %v", s.Err())
	case <-time.After(2 * cfg.KeepAliveTimeout):
	}
	released.Do(func() { close(release) })
	if err := <-readerDone; err != nil {
		t.Fatalf("Input: %v", err)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("session ended: %v", err)
	}
}

// A peer that answers a keepalive ping late, but well within the timeout,
// gets the next ping an interval later, not only once the whole timeout
// has passed: a check that finds the ping unanswered looks again by the
// next interval.
func TestRawKeepAliveLateAnswerKeepsPinging(t *testing.T) {
	p := newRawPeer(t, core.RoleClient, func(c *core.Config) {
		c.KeepAliveInterval = 50 * time.Millisecond
		c.KeepAliveTimeout = 10 * time.Second
	})
	h, _ := p.next()
	if h.Type != frame.TypePing || h.Flags != 0 {
		t.Fatalf("session sent %v; want a ping", h)
	}
	time.Sleep(150 * time.Millisecond) // a late peer: the first checks find the ping unanswered
	p.send(hdr(frame.TypePing, frame.FlagACK, 0, h.Length), nil)
	h, _, err := p.read(2 * time.Second) // far below the 10 s timeout
	if err != nil || h.Type != frame.TypePing || h.Flags != 0 {
		t.Fatalf("after a late answer the session sent %v, %v; want the next ping within an interval or so", h, err)
	}
}
