package core_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// A peer's SYN is answered only when the application accepts: with an
// empty Data frame carrying exactly ACK (the Rust crate's accept_ack).
func TestRawAcceptAnswersACK(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.write(golden(t, "open_syn"))
	p.expectQuiet(20 * time.Millisecond)
	st := p.accept()
	if st.ID() != 1 {
		t.Fatalf("accepted stream %d; want 1", st.ID())
	}
	p.expectBytes(golden(t, "accept_ack"))

	p.write(golden(t, "data_hello"))
	expectRead(t, st, "hello")
	write(t, st, "hi")
	p.expect(hdr(frame.TypeData, 0, 1, 2), []byte("hi"))
	st.CloseWrite()
	p.expectBytes(golden(t, "fin"))
	p.send(hdr(frame.TypeData, frame.FlagFIN, 1, 0), nil)
	if err := readErr(st); err != io.EOF {
		t.Fatalf("Read after the peer's FIN: %v; want io.EOF", err)
	}
	if n := p.sess.NumStreams(); n != 0 {
		t.Fatalf("NumStreams after both FINs = %d", n)
	}
}

// Payload riding on the SYN (and SYN|FIN) reaches the accepting
// application.
func TestRawDataWithSYN(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.sendSYN(1, []byte("first bytes"))
	p.send(hdr(frame.TypeData, frame.FlagSYN|frame.FlagFIN, 3, 4), []byte("once"))
	a := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	b := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 3, 0), nil)
	expectRead(t, a, "first bytes")
	expectRead(t, b, "once")
	if err := readErr(b); err != io.EOF {
		t.Fatalf("Read after SYN|FIN data: %v; want io.EOF", err)
	}
}

// OpenStream sends an empty SYN on the next id of the session's parity
// without waiting for the ACK; data written before the SYN leaves rides on
// it.
func TestRawOpenSendsSYN(t *testing.T) {
	for _, c := range []struct {
		name  string
		role  core.Role
		first uint32
	}{{"Client", core.RoleClient, 1}, {"Server", core.RoleServer, 2}} {
		t.Run(c.name, func(t *testing.T) {
			p := newRawPeer(t, c.role, nil)
			st, err := p.sess.OpenStream(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if st.ID() != c.first {
				t.Fatalf("first stream id %d; want %d", st.ID(), c.first)
			}
			p.expect(hdr(frame.TypeData, frame.FlagSYN, c.first, 0), nil)

			// Hold the session's writer inside a write (of a ping reply
			// the peer reads only one byte of), so that the next open and
			// its first write queue together.
			p.send(hdr(frame.TypePing, 0, 0, 9), nil)
			var one [1]byte
			p.conn.SetReadDeadline(time.Now().Add(rawTimeout))
			if _, err := io.ReadFull(p.conn, one[:]); err != nil {
				t.Fatal(err)
			}
			p.buf = append(p.buf, one[0])
			st2, err := p.sess.OpenStream(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			write(t, st2, "hello")
			p.expect(hdr(frame.TypePing, frame.FlagACK, 0, 9), nil)
			p.expect(hdr(frame.TypeData, frame.FlagSYN, c.first+2, 5), []byte("hello"))

			// Unacknowledged streams work both ways; the peer's ACK may
			// come with its first data.
			p.send(hdr(frame.TypeData, frame.FlagACK, c.first+2, 3), []byte("ack"))
			expectRead(t, st2, "ack")
			p.send(hdr(frame.TypeData, frame.FlagACK, c.first, 0), nil)
			write(t, st, "x")
			p.expect(hdr(frame.TypeData, 0, c.first, 1), []byte("x"))
		})
	}
}

// A SYN past MaxStreams is refused with RST on that stream; the session
// goes on, and accepts again once a stream has finished.
func TestRawRefuseBeyondMaxStreams(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, func(c *core.Config) { c.MaxStreams = 2 })
	p.sendSYN(1, nil)
	p.sendSYN(3, nil)
	p.sendSYN(5, []byte("dropped"))
	p.expect(hdr(frame.TypeData, frame.FlagRST, 5, 0), nil)
	p.ping(1)

	a := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 3, 0), nil)
	// Finish stream 1 both ways: its slot frees up.
	p.send(hdr(frame.TypeData, frame.FlagFIN, 1, 0), nil)
	a.CloseWrite()
	p.expect(hdr(frame.TypeData, frame.FlagFIN, 1, 0), nil)
	p.sendSYN(7, nil)
	if st := p.accept(); st.ID() != 7 {
		t.Fatalf("accepted stream %d; want 7", st.ID())
	}
	p.expect(hdr(frame.TypeData, frame.FlagACK, 7, 0), nil)
	if got := p.sess.Stats().StreamsRefused; got != 1 {
		t.Fatalf("Stats().StreamsRefused = %d; want 1", got)
	}
}

// A SYN past AcceptBacklog unaccepted streams is refused with RST; once the
// application accepts one, there is room again.
func TestRawRefuseBeyondAcceptBacklog(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, func(c *core.Config) { c.AcceptBacklog = 2 })
	p.sendSYN(1, nil)
	p.sendSYN(3, nil)
	p.sendSYN(5, nil)
	p.expect(hdr(frame.TypeData, frame.FlagRST, 5, 0), nil)
	if st := p.accept(); st.ID() != 1 {
		t.Fatalf("accepted stream %d; want 1", st.ID())
	}
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	p.sendSYN(7, nil)
	p.ping(2) // no RST before the reply: 7 was taken
	for _, want := range []uint32{3, 7} {
		if st := p.accept(); st.ID() != want {
			t.Fatalf("accepted stream %d; want %d", st.ID(), want)
		}
		p.expect(hdr(frame.TypeData, frame.FlagACK, want, 0), nil)
	}
}

// After the session sent GoAway (Shutdown), a SYN is refused with RST while
// the open stream carries on to its end; then the session closes.
func TestRawRefuseAfterGoAwaySent(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.sendSYN(1, nil)
	st := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)

	ctx, cancel := contextFor(rawTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.sess.Shutdown(ctx) }()
	p.expectBytes(golden(t, "goaway_normal"))
	p.sendSYN(3, []byte("refused"))
	p.expect(hdr(frame.TypeData, frame.FlagRST, 3, 0), nil)

	p.send(hdr(frame.TypeData, 0, 1, 4), []byte("more"))
	expectRead(t, st, "more")
	write(t, st, "last")
	st.CloseWrite()
	if got := p.collect(1); string(got) != "last" {
		t.Fatalf("stream 1 ended with %q; want \"last\"", got)
	}
	p.send(hdr(frame.TypeData, frame.FlagFIN, 1, 0), nil)
	p.expectEOF()
	if err := <-done; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
}

// After the peer's GoAway(Normal), its SYNs are refused with RST and the
// session goes on while a stream is open; once none is, it ends.
func TestRawRefuseAfterGoAwayReceived(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.sendSYN(1, nil)
	st := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	p.write(golden(t, "goaway_normal"))
	p.sendSYN(3, nil)
	p.expect(hdr(frame.TypeData, frame.FlagRST, 3, 0), nil)
	p.ping(3)
	if err := p.sess.Err(); err != nil {
		t.Fatalf("Err() after the peer's GoAway(Normal) = %v; the session should go on", err)
	}
	// The last stream finishes: nothing is left, the session ends.
	st.CloseWrite()
	p.expect(hdr(frame.TypeData, frame.FlagFIN, 1, 0), nil)
	p.send(hdr(frame.TypeData, frame.FlagFIN, 1, 0), nil)
	<-p.sess.Done()
	expectGoAwayErr(t, p.sess.Err(), frame.CodeNormal, true)
}

// At most AcceptBacklog opens wait for the peer's ACK: OpenStream waits for
// a slot, which an ACK or the peer's refusal (RST) frees.
func TestRawOpenWaitsForACKs(t *testing.T) {
	p := newRawPeer(t, core.RoleClient, func(c *core.Config) { c.AcceptBacklog = 2 })
	done, cancel := context.WithCancel(context.Background())
	cancel()
	var opened []*core.Stream
	for range 2 {
		st, err := p.sess.OpenStream(done)
		if err != nil {
			t.Fatalf("OpenStream within the backlog: %v", err)
		}
		opened = append(opened, st)
	}
	p.expect(hdr(frame.TypeData, frame.FlagSYN, 1, 0), nil)
	p.expect(hdr(frame.TypeData, frame.FlagSYN, 3, 0), nil)
	if _, err := p.sess.OpenStream(done); err != context.Canceled {
		t.Fatalf("third OpenStream with two opens unacknowledged: %v; want it to wait (context.Canceled)", err)
	}

	p.send(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	ctx, stop := contextFor(rawTimeout)
	defer stop()
	st5, err := p.sess.OpenStream(ctx)
	if err != nil || st5.ID() != 5 {
		t.Fatalf("OpenStream after an ACK = %v, %v; want stream 5", st5, err)
	}
	p.expect(hdr(frame.TypeData, frame.FlagSYN, 5, 0), nil)

	p.send(hdr(frame.TypeData, frame.FlagRST, 3, 0), nil) // refused
	st7, err := p.sess.OpenStream(ctx)
	if err != nil || st7.ID() != 7 {
		t.Fatalf("OpenStream after a refusal = %v, %v; want stream 7", st7, err)
	}
	p.expect(hdr(frame.TypeData, frame.FlagSYN, 7, 0), nil)
	if err := readErr(opened[1]); !errors.Is(err, core.ErrStreamReset) {
		t.Fatalf("Read on the refused stream: %v; want ErrStreamReset", err)
	}
}

// A stream the peer resets before the application accepts it leaves the
// accept backlog at once: it takes no slot and is never returned by Accept.
func TestRawResetLeavesBacklog(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, func(c *core.Config) { c.AcceptBacklog = 2 })
	p.sendSYN(1, nil)
	p.sendSYN(3, nil)
	p.send(hdr(frame.TypeData, frame.FlagRST, 1, 0), nil)
	p.send(hdr(frame.TypeData, frame.FlagRST, 3, 0), nil)
	p.sendSYN(5, nil)
	p.sendSYN(7, nil)
	p.ping(1) // no RST for 5 or 7 before the reply: both were taken
	for _, want := range []uint32{5, 7} {
		if st := p.accept(); st.ID() != want {
			t.Fatalf("accepted stream %d; want %d", st.ID(), want)
		}
		p.expect(hdr(frame.TypeData, frame.FlagACK, want, 0), nil)
	}
}

// At the defaults, a burst of SYNs from a peer that does not pace its opens
// (the Rust crate sends up to 1024 back to back and never retries a refused
// one) is accepted whole: 1000 streams opened at once with their request,
// against a server that accepts in a loop and echoes, all echo.
func TestRawSYNBurstAccepted(t *testing.T) {
	const n = 1000
	p := newRawPeer(t, core.RoleServer, nil)
	go func() {
		for {
			st, err := p.sess.AcceptStream(context.Background())
			if err != nil {
				return
			}
			go func() {
				st.SetDeadline(time.Now().Add(rawTimeout))
				io.Copy(st, st)
				st.Close()
			}()
		}
	}()
	var burst []byte
	for i := range n {
		req := fmt.Appendf(nil, "request %d", i)
		burst = append(burst, encode(hdr(frame.TypeData, frame.FlagSYN|frame.FlagFIN, uint32(2*i+1), uint32(len(req))), req)...)
	}
	sent := make(chan struct{})
	go func() { // the session's writes wait for our reads: write concurrently
		defer close(sent)
		p.conn.SetWriteDeadline(time.Now().Add(rawTimeout))
		p.conn.Write(burst)
	}()
	echoed := map[uint32][]byte{}
	for finished := 0; finished < n; {
		h, payload := p.next()
		if h.Type != frame.TypeData || h.Flags&frame.FlagRST != 0 {
			t.Fatalf("after %d echoes the session sent %v; want only Data (no stream refused)", finished, h)
		}
		echoed[h.StreamID] = append(echoed[h.StreamID], payload...)
		if h.Flags&frame.FlagFIN != 0 {
			if want := fmt.Sprintf("request %d", h.StreamID/2); string(echoed[h.StreamID]) != want {
				t.Fatalf("stream %d echoed %q; want %q", h.StreamID, echoed[h.StreamID], want)
			}
			finished++
		}
	}
	<-sent
	if got := p.sess.Stats().StreamsRefused; got != 0 {
		t.Fatalf("Stats().StreamsRefused = %d; want 0", got)
	}
}

// Client and Server refuse a nil transport with an error instead of
// crashing on their own goroutine.
func TestNilTransport(t *testing.T) {
	for name, start := range map[string]func(io.ReadWriteCloser, *core.Config) (*core.Session, error){
		"Client": core.Client, "Server": core.Server,
	} {
		if s, err := start(nil, nil); s != nil || !errors.Is(err, core.ErrNilTransport) {
			t.Errorf("%s(nil, nil) = %v, %v; want ErrNilTransport", name, s, err)
		}
	}
	if e, err := core.NewEngine(nil, core.RoleClient, nil); e != nil || !errors.Is(err, core.ErrNilTransport) {
		t.Errorf("NewEngine(nil, ...) = %v, %v; want ErrNilTransport", e, err)
	}
}
