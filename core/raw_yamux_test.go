package core_test

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// The yamux dialect's rules, checked byte for byte against a raw peer that
// behaves as hashicorp/yamux and go-yamux do on the wire.

// yamuxDialect selects the yamux dialect on a raw peer's session.
func yamuxDialect(c *core.Config) { c.Dialect = core.DialectYamux }

// yhdr builds a yamux (version 0) frame header.
func yhdr(typ frame.Type, flags frame.Flags, id, length uint32) frame.Header {
	return frame.Header{Version: frame.VersionYamux, Type: typ, Flags: flags, StreamID: id, Length: length}
}

// unhex decodes a frame written as hex with spaces between the fields.
func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// yping sends a yamux ping request (SYN) with value v and checks that the
// next frame is its reply (ACK, same value): the session still runs.
func (p *rawPeer) yping(v uint32) {
	p.t.Helper()
	p.send(yhdr(frame.TypePing, frame.FlagSYN, 0, v), nil)
	p.expect(yhdr(frame.TypePing, frame.FlagACK, 0, v), nil)
}

// yamux opens a stream with a WindowUpdate carrying SYN; its increment adds
// to the implicit 256 KiB. The accept's ACK is an empty Data frame with
// version 0, and the session may send the whole enlarged window at once.
func TestRawYamuxOpenByWindowUpdate(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, yamuxDialect)
	const extra = 1000
	p.write(unhex(t, "00 01 0001 00000001 000003e8")) // WindowUpdate SYN id 1 +1000
	st := p.accept()
	p.expectBytes(unhex(t, "00 00 0002 00000001 00000000")) // Data ACK id 1

	total := frame.InitialWindow + extra
	done := make(chan error, 1)
	go func() {
		_, err := st.Write(make([]byte, total))
		done <- err
	}()
	got := 0
	for got < total {
		h, payload := p.next()
		if h.Type != frame.TypeData || h.StreamID != 1 || h.Flags != 0 || h.Version != 0 {
			t.Fatalf("session sent %v; want version-0 Data on stream 1", h)
		}
		got += len(payload)
	}
	if got != total {
		t.Fatalf("session sent %d bytes; want exactly the window, %d", got, total)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p.yping(1) // no byte beyond the credit went out before the reply
}

// The session opens with an empty version-0 Data SYN; an ACK, data and FIN
// may all arrive on WindowUpdate frames, as yamux sends them.
func TestRawYamuxOpenFlagsOnWindowUpdate(t *testing.T) {
	p := newRawPeer(t, core.RoleClient, yamuxDialect)
	st, err := p.sess.Open()
	if err != nil {
		t.Fatal(err)
	}
	p.expectBytes(unhex(t, "00 00 0001 00000001 00000000")) // Data SYN id 1
	p.send(yhdr(frame.TypeWindowUpdate, frame.FlagACK, 1, 0), nil)
	p.send(yhdr(frame.TypeData, 0, 1, 2), []byte("hi"))
	p.send(yhdr(frame.TypeWindowUpdate, frame.FlagFIN, 1, 0), nil)
	cs := st.(*core.Stream)
	expectRead(t, cs, "hi")
	if err := readErr(cs); err != io.EOF {
		t.Fatalf("Read after a FIN on a WindowUpdate: %v; want io.EOF", err)
	}
	if err := cs.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	p.expectBytes(unhex(t, "00 00 0004 00000001 00000000")) // Data FIN id 1
	// Frames for the finished stream are dropped, not fatal: a late
	// WindowUpdate, a FIN again, an RST.
	p.send(yhdr(frame.TypeWindowUpdate, 0, 1, 4096), nil)
	p.send(yhdr(frame.TypeWindowUpdate, frame.FlagFIN, 1, 0), nil)
	p.send(yhdr(frame.TypeWindowUpdate, frame.FlagRST, 1, 0), nil)
	p.yping(2)
}

// go-yamux v5 resets with a WindowUpdate whose Length is an error code: the
// stream is reset and the code is never taken as credit; the session runs.
func TestRawYamuxResetWithCode(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, yamuxDialect)
	p.send(yhdr(frame.TypeWindowUpdate, frame.FlagSYN, 1, 0), nil)
	p.send(yhdr(frame.TypeWindowUpdate, frame.FlagSYN, 3, 0), nil)
	a, b := p.accept(), p.accept()
	p.expect(yhdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	p.expect(yhdr(frame.TypeData, frame.FlagACK, 3, 0), nil)
	p.send(yhdr(frame.TypeWindowUpdate, frame.FlagRST, 1, 0xffffffff), nil)
	if err := readErr(a); !errors.Is(err, core.ErrStreamReset) {
		t.Fatalf("Read after RST: %v; want ErrStreamReset", err)
	}
	// Credit saturates, never wraps: two maximal increments leave the
	// stream writable.
	p.send(yhdr(frame.TypeWindowUpdate, 0, 3, 0xffffffff), nil)
	p.send(yhdr(frame.TypeWindowUpdate, 0, 3, 0xffffffff), nil)
	write(t, b, "still")
	p.expect(yhdr(frame.TypeData, 0, 3, 5), []byte("still"))
	p.yping(3)
}

// Ping: a request carries SYN and is answered with ACK and the same value;
// a ping without SYN is a reply and is never answered; Session.Ping sends
// SYN and matches the reply's value.
func TestRawYamuxPing(t *testing.T) {
	p := newRawPeer(t, core.RoleClient, yamuxDialect)
	p.write(unhex(t, "00 02 0001 00000000 0000002a"))
	p.expectBytes(unhex(t, "00 02 0002 00000000 0000002a"))
	p.send(yhdr(frame.TypePing, 0, 0, 7), nil) // a stray reply
	p.yping(0)

	done := make(chan error, 1)
	go func() {
		ctx, cancel := contextFor(rawTimeout)
		defer cancel()
		_, err := p.sess.Ping(ctx)
		done <- err
	}()
	h, _ := p.next()
	if h.Type != frame.TypePing || h.Flags != frame.FlagSYN || h.StreamID != 0 || h.Version != 0 {
		t.Fatalf("session sent %v; want a version-0 Ping with SYN", h)
	}
	p.send(yhdr(frame.TypePing, frame.FlagACK, 0, h.Length+1), nil) // not ours
	p.send(yhdr(frame.TypePing, frame.FlagACK, 0, h.Length), nil)
	if err := <-done; err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// hashicorp/yamux sends Data frames as long as its whole credit: accepted
// beyond MaxFrameSize; one byte past the window is still a flow-control
// violation, sent as GoAway(ProtocolError) since yamux knows only codes
// 0-2, while Err keeps the precise code.
func TestRawYamuxLargeFramesAndGoAwayCode(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, yamuxDialect)
	p.send(yhdr(frame.TypeWindowUpdate, frame.FlagSYN, 1, 0), nil)
	p.send(yhdr(frame.TypeData, 0, 1, frame.InitialWindow), make([]byte, frame.InitialWindow))
	p.yping(1)
	p.send(yhdr(frame.TypeData, 0, 1, 1), []byte("!"))
	p.expectBytes(unhex(t, "00 03 0000 00000000 00000001")) // GoAway(ProtocolError)
	p.expectEOF()
	expectGoAwayErr(t, p.sess.Err(), frame.CodeFlowControlError, false)
}

// A net-mux (version 1) frame is a wrong version for a yamux session.
func TestRawYamuxWrongVersion(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, yamuxDialect)
	p.send(hdr(frame.TypePing, 0, 0, 1), nil)
	p.expect(yhdr(frame.TypeGoAway, 0, 0, uint32(frame.CodeProtocolError)), nil)
	p.expectEOF()
	expectGoAwayErr(t, p.sess.Err(), frame.CodeInvalidVersion, false)
}

// Two clients: a SYN on the session's own parity is fatal.
func TestRawYamuxTwoClients(t *testing.T) {
	p := newRawPeer(t, core.RoleClient, yamuxDialect)
	p.send(yhdr(frame.TypeWindowUpdate, frame.FlagSYN, 1, 0), nil)
	p.expect(yhdr(frame.TypeGoAway, 0, 0, uint32(frame.CodeProtocolError)), nil)
	p.expectEOF()
}

// A keepalive timeout goes out as GoAway(InternalError).
func TestRawYamuxKeepAliveTimeout(t *testing.T) {
	p := newRawPeer(t, core.RoleClient, func(c *core.Config) {
		yamuxDialect(c)
		keepAliveConfig(c)
	})
	for {
		h, _ := p.next()
		if h == yhdr(frame.TypePing, frame.FlagSYN, 0, h.Length) {
			continue
		}
		if h != yhdr(frame.TypeGoAway, 0, 0, uint32(frame.CodeInternalError)) {
			t.Fatalf("session sent %v; want pings, then GoAway(InternalError)", h)
		}
		break
	}
	p.expectEOF()
	expectGoAwayErr(t, p.sess.Err(), frame.CodeTimeout, false)
}

// yamux peers end a session by closing the transport without a GoAway: the
// session ends as after the peer's GoAway(Normal), and a stream it cuts off
// still fails rather than reading a clean EOF.
func TestRawYamuxBareEOF(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, yamuxDialect)
	p.send(yhdr(frame.TypeWindowUpdate, frame.FlagSYN, 1, 0), nil)
	st := p.accept()
	p.expect(yhdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	p.conn.Close()
	if err := readErr(st); err == io.EOF || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read on a stream cut off: %v; want an error matching net.ErrClosed, not io.EOF", err)
	}
	<-p.sess.Done()
	expectGoAwayErr(t, p.sess.Err(), frame.CodeNormal, true)
}

// hashicorp/yamux and go-yamux apply a frame's FIN before buffering its
// payload, so their reader could return io.EOF without the last bytes: in
// this dialect the FIN always goes in an empty frame of its own, even when
// the data and the FIN are queued together.
func TestRawYamuxFINApart(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, yamuxDialect)
	p.send(yhdr(frame.TypeWindowUpdate, frame.FlagSYN, 1, 0), nil)
	st := p.accept()
	p.expect(yhdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	// Hold the session's writer inside the write of a ping reply the peer
	// reads one byte of, so that the data and the FIN queue together.
	p.send(yhdr(frame.TypePing, frame.FlagSYN, 0, 9), nil)
	var one [1]byte
	p.conn.SetReadDeadline(time.Now().Add(rawTimeout))
	if _, err := io.ReadFull(p.conn, one[:]); err != nil {
		t.Fatal(err)
	}
	p.buf = append(p.buf, one[0])
	write(t, st, "bye")
	st.CloseWrite()
	p.expect(yhdr(frame.TypePing, frame.FlagACK, 0, 9), nil)
	p.expectBytes(unhex(t, "00 00 0000 00000001 00000003 627965")) // Data "bye"
	p.expectBytes(unhex(t, "00 00 0004 00000001 00000000"))        // Data FIN
}

// hashicorp/yamux and go-yamux reset a stream opened beyond their accept
// backlog (256): whatever AcceptBacklog says, at most 256 opens go out
// unacknowledged, and an ACK lets the next one out.
func TestRawYamuxUnackedOpens(t *testing.T) {
	p := newRawPeer(t, core.RoleClient, func(c *core.Config) {
		yamuxDialect(c)
		c.AcceptBacklog = 4096
	})
	for i := range uint32(256) {
		if _, err := p.sess.OpenStream(context.Background()); err != nil {
			t.Fatal(err)
		}
		p.expect(yhdr(frame.TypeData, frame.FlagSYN, 2*i+1, 0), nil)
	}
	ctx, cancel := contextFor(20 * time.Millisecond)
	defer cancel()
	if _, err := p.sess.OpenStream(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("open beyond 256 unacknowledged: %v; want to wait until ctx ends", err)
	}
	p.send(yhdr(frame.TypeWindowUpdate, frame.FlagACK, 1, 0), nil)
	ctx, cancel = contextFor(rawTimeout)
	defer cancel()
	if _, err := p.sess.OpenStream(ctx); err != nil {
		t.Fatalf("open after an ACK: %v", err)
	}
	p.expect(yhdr(frame.TypeData, frame.FlagSYN, 513, 0), nil)
}
