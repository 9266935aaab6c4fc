package core_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// A peer that floods pings and never reads the replies ends the session in
// a bounded way: the replies queue up to a limit, then GoAway, and the
// transport closes after WriteTimeout; the flood it absorbed is bounded.
func TestRawPingFlood(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, func(c *core.Config) { c.WriteTimeout = 100 * time.Millisecond })
	batch := make([]byte, 0, 1000*frame.HeaderSize)
	for i := range 1000 {
		batch = frame.AppendHeader(batch, hdr(frame.TypePing, 0, 0, uint32(i)))
	}
	const limit = 4 << 20 // the replies it may queue are bounded well below
	sent := 0
	for {
		p.conn.SetWriteDeadline(time.Now().Add(rawTimeout))
		n, err := p.conn.Write(batch)
		sent += n
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the session stopped reading but kept the transport open (%d bytes of pings absorbed)", sent)
			}
			break
		}
		// Once it has given up it only drains the transport (dropping
		// the bytes) until WriteTimeout closes it.
		if sent > limit && !p.sess.IsClosed() {
			t.Fatalf("the session absorbed %d bytes of pings without reading a reply and is still going", sent)
		}
	}
	t.Logf("flood of %d pings absorbed before the session gave up", sent/frame.HeaderSize)
	<-p.sess.Done()
	expectGoAwayErr(t, p.sess.Err(), frame.CodeProtocolError, false)
}

// A SYN flood far past MaxStreams is answered with one RST per refused SYN;
// the stream table stays at MaxStreams and the session goes on.
func TestRawSYNFlood(t *testing.T) {
	const maxStreams, syns = 64, 10000
	p := newRawPeer(t, core.RoleServer, func(c *core.Config) { c.MaxStreams = maxStreams })

	// The session writes one RST per refused SYN while the peer is still
	// flooding: read them concurrently, up to the final ping's reply.
	type tally struct {
		rsts map[uint32]bool
		err  error
	}
	done := make(chan tally, 1)
	go func() {
		r := tally{rsts: map[uint32]bool{}}
		for {
			h, _, err := p.read(rawTimeout)
			switch {
			case err != nil:
				r.err = err
			case h == hdr(frame.TypePing, frame.FlagACK, 0, 1):
			case h.Type == frame.TypeData && h.Flags == frame.FlagRST && h.Length == 0 && !r.rsts[h.StreamID]:
				r.rsts[h.StreamID] = true
				continue
			default:
				r.err = errors.New("session sent " + h.String() + "; want one RST per refused SYN")
			}
			done <- r
			return
		}
	}()
	batch := make([]byte, 0, 1000*frame.HeaderSize)
	for id := uint32(1); id < 2*syns; id += 2 {
		batch = frame.AppendHeader(batch, hdr(frame.TypeData, frame.FlagSYN, id, 0))
		if len(batch) == cap(batch) {
			p.write(batch)
			batch = batch[:0]
		}
	}
	p.write(batch)
	p.send(hdr(frame.TypePing, 0, 0, 1), nil)
	var r tally
	select {
	case r = <-done:
	case <-time.After(2 * rawTimeout):
		t.Fatal("reader still busy")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.rsts) != syns-maxStreams {
		t.Fatalf("%d RSTs for %d SYNs past MaxStreams %d", len(r.rsts), syns-maxStreams, maxStreams)
	}
	for id := uint32(1); id < 2*maxStreams; id += 2 {
		if r.rsts[id] {
			t.Fatalf("stream %d, within MaxStreams, was refused", id)
		}
	}
	if n := p.sess.NumStreams(); n != maxStreams {
		t.Fatalf("NumStreams after the flood = %d; want %d", n, maxStreams)
	}
	if got := p.sess.Stats().StreamsRefused; got != syns-maxStreams {
		t.Fatalf("Stats().StreamsRefused = %d; want %d", got, syns-maxStreams)
	}
	if err := p.sess.Err(); err != nil {
		t.Fatalf("session ended: %v", err)
	}
	if st := p.accept(); st.ID() != 1 {
		t.Fatalf("first accepted stream %d; want 1", st.ID())
	}
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	p.ping(2)
}
