package core_test

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// Data after the peer's FIN resets that stream only; the session and its
// other streams carry on.
func TestRawDataAfterFIN(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.sendSYN(1, []byte("a"))
	p.send(hdr(frame.TypeData, frame.FlagFIN, 1, 0), nil)
	p.sendSYN(3, nil)
	a := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	b := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 3, 0), nil)
	expectRead(t, a, "a")
	if err := readErr(a); err != io.EOF {
		t.Fatalf("Read after FIN: %v; want io.EOF", err)
	}

	p.send(hdr(frame.TypeData, 0, 1, 4), []byte("late"))
	p.expect(hdr(frame.TypeData, frame.FlagRST, 1, 0), nil)
	if _, err := a.Write([]byte("x")); !errors.Is(err, core.ErrStreamReset) {
		t.Fatalf("Write on the stream reset for data after FIN: %v; want ErrStreamReset", err)
	}

	p.send(hdr(frame.TypeData, 0, 3, 5), []byte("still"))
	expectRead(t, b, "still")
	write(t, b, "alive")
	p.expect(hdr(frame.TypeData, 0, 3, 5), []byte("alive"))
	if err := p.sess.Err(); err != nil {
		t.Fatalf("session ended: %v", err)
	}
}

// Data for a stream the session does not know is answered with RST (its
// payload skipped); RST, ACK and WindowUpdate for one are ignored.
func TestRawUnknownStream(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.ping(0) // as a first frame, such Data would show a peer that is not net-mux v1
	p.send(hdr(frame.TypeData, 0, 5, 3), []byte("abc"))
	p.expect(hdr(frame.TypeData, frame.FlagRST, 5, 0), nil)
	p.send(hdr(frame.TypeData, frame.FlagFIN, 7, 2), []byte("de"))
	p.expect(hdr(frame.TypeData, frame.FlagRST, 7, 0), nil)

	p.send(hdr(frame.TypeData, frame.FlagRST, 9, 0), nil)
	p.send(hdr(frame.TypeWindowUpdate, 0, 11, 1000), nil)
	p.send(hdr(frame.TypeData, frame.FlagACK, 13, 0), nil)
	p.send(hdr(frame.TypeWindowUpdate, frame.FlagACK, 15, 0), nil)
	p.ping(1) // the reply is the next frame: nothing answered those
}

// A local Reset sends exactly one RST (the Rust crate's rst frame for
// stream 3); the peer's RST fails reads and writes with ErrStreamReset.
func TestRawReset(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.sendSYN(1, nil)
	p.sendSYN(3, []byte("dropped"))
	a := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	b := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 3, 0), nil)

	b.Reset()
	p.expectBytes(golden(t, "rst"))
	b.Reset()
	b.Close()
	p.ping(1) // no second RST
	if _, err := b.Read(make([]byte, 8)); !errors.Is(err, core.ErrStreamReset) {
		t.Fatalf("Read after Reset: %v; want ErrStreamReset (buffered data dropped)", err)
	}

	p.send(hdr(frame.TypeData, 0, 1, 4), []byte("lost"))
	p.send(hdr(frame.TypeData, frame.FlagRST, 1, 0), nil)
	if err := readErr(a); !errors.Is(err, core.ErrStreamReset) {
		t.Fatalf("Read after the peer's RST: %v; want ErrStreamReset", err)
	}
	if _, err := a.Write([]byte("x")); !errors.Is(err, core.ErrStreamReset) {
		t.Fatalf("Write after the peer's RST: %v; want ErrStreamReset", err)
	}
	p.ping(2) // the session answers no RST with an RST
	if n := p.sess.NumStreams(); n != 0 {
		t.Fatalf("NumStreams after both streams were reset = %d", n)
	}
}

// A transport that ends in the middle of a stream is not a clean end: the
// data before it is readable, then Read fails with an error matching
// net.ErrClosed, never io.EOF.
func TestRawTransportEOFMidStream(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.sendSYN(1, []byte("partial"))
	st := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	p.conn.Close()
	expectRead(t, st, "partial")
	err := readErr(st)
	if err == io.EOF || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after the transport ended mid-stream: %v; want an error matching net.ErrClosed, not io.EOF", err)
	}
	<-p.sess.Done()
	if err := p.sess.Err(); err == nil || errors.Is(err, io.EOF) || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Err() after the transport ended: %v; want one matching net.ErrClosed, not io.EOF", err)
	}
	if _, err := st.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after the transport ended: %v; want net.ErrClosed", err)
	}
}

// Close half-closes with FIN when everything was read; with unread data, or
// when data arrives after Close, an RST follows the FIN, so the peer learns
// that its data was not read (as TCP does) but keeps what was sent.
func TestRawCloseStream(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.sendSYN(1, []byte("read"))
	p.sendSYN(3, []byte("unread"))
	p.ping(1) // both payloads are in the streams' buffers
	a := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	b := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 3, 0), nil)

	expectRead(t, a, "read")
	a.Close()
	p.expect(hdr(frame.TypeData, frame.FlagFIN, 1, 0), nil)
	if _, err := a.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close: %v; want net.ErrClosed", err)
	}
	p.send(hdr(frame.TypeData, 0, 1, 4), []byte("late"))
	p.expect(hdr(frame.TypeData, frame.FlagRST, 1, 0), nil)

	b.Close()
	p.expect(hdr(frame.TypeData, frame.FlagFIN, 3, 0), nil)
	p.expect(hdr(frame.TypeData, frame.FlagRST, 3, 0), nil)
	p.ping(2)
	if n := p.sess.NumStreams(); n != 0 {
		t.Fatalf("NumStreams after both streams closed = %d", n)
	}
}

// A stream closed with Close whose peer never sends its FIN is reset after
// StreamCloseTimeout and leaves the table, so such a peer cannot use up
// MaxStreams; one whose FIN comes in time is not reset.
func TestRawStreamCloseTimeout(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, func(c *core.Config) { c.StreamCloseTimeout = 50 * time.Millisecond })
	p.sendSYN(1, nil)
	lazy := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	p.sendSYN(3, nil)
	prompt := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 3, 0), nil)

	lazy.Close()
	p.expect(hdr(frame.TypeData, frame.FlagFIN, 1, 0), nil)
	prompt.Close()
	p.expect(hdr(frame.TypeData, frame.FlagFIN, 3, 0), nil)
	p.send(hdr(frame.TypeData, frame.FlagFIN, 3, 0), nil) // stream 3 finishes in time

	// Stream 1's peer never finishes: after the timeout it is reset.
	p.expect(hdr(frame.TypeData, frame.FlagRST, 1, 0), nil)
	awaitNumStreams(t, p.sess, 0)         // the timer removes it just after the RST is queued
	p.expectQuiet(100 * time.Millisecond) // and nothing for stream 3
}

// Close is idempotent: closing twice (an explicit Close and a deferred one)
// sends one FIN, and once the peer's FIN arrives the stream is finished and
// gone, with no late RST when StreamCloseTimeout passes.
func TestRawCloseTwice(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, func(c *core.Config) { c.StreamCloseTimeout = 30 * time.Millisecond })
	p.sendSYN(1, nil)
	st := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	st.Close()
	st.Close()
	p.expect(hdr(frame.TypeData, frame.FlagFIN, 1, 0), nil)
	p.send(hdr(frame.TypeData, frame.FlagFIN, 1, 0), nil)
	p.ping(1)
	if n := p.sess.NumStreams(); n != 0 {
		t.Fatalf("NumStreams after both FINs = %d; want 0", n)
	}
	p.expectQuiet(100 * time.Millisecond) // three close timeouts: no RST
}

// Close never drops the reply: a server that reads part of a request,
// writes its response and closes sends the response and FIN, then an RST
// (the rest of the request went unread).
func TestRawCloseKeepsReply(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.sendSYN(1, []byte("0123456789"))
	st := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	expectRead(t, st, "0")
	write(t, st, "response")
	st.Close()
	if got := p.collect(1); string(got) != "response" {
		t.Fatalf("peer got %q before the FIN; want %q", got, "response")
	}
	p.expect(hdr(frame.TypeData, frame.FlagRST, 1, 0), nil)
	p.ping(1)
	if n := p.sess.NumStreams(); n != 0 {
		t.Fatalf("NumStreams after Close with unread data = %d; want 0", n)
	}
}

// An RST after the peer's FIN (on its own frame or on the FIN's frame)
// keeps what arrived up to the FIN readable, then io.EOF; writes fail with
// ErrStreamReset.
func TestRawResetAfterFIN(t *testing.T) {
	for _, c := range []struct {
		name   string
		frames [][]byte
	}{
		{"separate", [][]byte{
			encode(hdr(frame.TypeData, frame.FlagFIN, 1, 5), []byte("reply")),
			encode(hdr(frame.TypeData, frame.FlagRST, 1, 0), nil),
		}},
		{"same frame", [][]byte{
			encode(hdr(frame.TypeData, frame.FlagFIN|frame.FlagRST, 1, 5), []byte("reply")),
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newRawPeer(t, core.RoleClient, nil)
			ctx, cancel := contextFor(rawTimeout)
			defer cancel()
			st, err := p.sess.OpenStream(ctx)
			if err != nil {
				t.Fatal(err)
			}
			write(t, st, "request")
			// The SYN may go out before the data is queued or with it.
			h, got := p.next()
			if h.Type != frame.TypeData || h.Flags != frame.FlagSYN || h.StreamID != 1 {
				t.Fatalf("session sent %v; want the SYN of stream 1", h)
			}
			for len(got) < len("request") {
				h, more := p.next()
				if h.Type != frame.TypeData || h.Flags != 0 || h.StreamID != 1 {
					t.Fatalf("session sent %v; want data on stream 1", h)
				}
				got = append(got, more...)
			}
			if string(got) != "request" {
				t.Fatalf("stream 1 carried %q; want %q", got, "request")
			}
			p.send(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
			for _, f := range c.frames {
				p.write(f)
			}
			p.ping(1) // everything is in
			expectRead(t, st, "reply")
			if err := readErr(st); err != io.EOF {
				t.Fatalf("Read after the data: %v; want io.EOF", err)
			}
			if _, err := st.Write([]byte("x")); !errors.Is(err, core.ErrStreamReset) {
				t.Fatalf("Write after the peer's RST: %v; want ErrStreamReset", err)
			}
			if n := p.sess.NumStreams(); n != 0 {
				t.Fatalf("NumStreams = %d; want 0", n)
			}
		})
	}
}
