package core_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// After the peer's GoAway(Normal), OpenStream fails with the peer's
// *GoAwayError while the streams already open carry on both ways.
func TestRawGoAwayNormalReceived(t *testing.T) {
	p := newRawPeer(t, core.RoleClient, nil)
	st, err := p.sess.OpenStream(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	p.expect(hdr(frame.TypeData, frame.FlagSYN, 1, 0), nil)
	p.write(golden(t, "goaway_normal"))
	p.ping(1) // the GoAway has been processed

	_, err = p.sess.OpenStream(t.Context())
	expectGoAwayErr(t, err, frame.CodeNormal, true)
	if err := p.sess.Err(); err != nil {
		t.Fatalf("Err() while draining after the peer's GoAway(Normal) = %v", err)
	}

	p.send(hdr(frame.TypeData, frame.FlagACK, 1, 5), []byte("reply"))
	expectRead(t, st, "reply")
	write(t, st, "more")
	p.expect(hdr(frame.TypeData, 0, 1, 4), []byte("more"))
	p.ping(2)
	st.CloseWrite()
	p.expect(hdr(frame.TypeData, frame.FlagFIN, 1, 0), nil)
	p.send(hdr(frame.TypeData, frame.FlagFIN, 1, 0), nil)
	if err := readErr(st); err != io.EOF {
		t.Fatalf("Read after the peer's FIN: %v; want io.EOF", err)
	}
}

// Any other GoAway code ends the session at once with that error, without
// a GoAway in reply; open streams are cut off (an error, not io.EOF).
func TestRawGoAwayErrorReceived(t *testing.T) {
	for _, code := range []frame.ErrorCode{frame.CodeProtocolError, frame.CodeInternalError, frame.CodeTimeout, 77} {
		t.Run(code.String(), func(t *testing.T) {
			p := newRawPeer(t, core.RoleServer, nil)
			p.sendSYN(1, []byte("data"))
			st := p.accept()
			p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
			p.send(hdr(frame.TypeGoAway, 0, 0, uint32(code)), nil)
			p.expectEOF()
			expectGoAwayErr(t, p.sess.Err(), code, true)
			expectRead(t, st, "data")
			if err := readErr(st); err == io.EOF || !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Read after GoAway(%v): %v; want an error matching net.ErrClosed, not io.EOF", code, err)
			}
			_, err := p.sess.OpenStream(t.Context())
			expectGoAwayErr(t, err, code, true)
		})
	}
}

// Close resets every open stream, sends GoAway(Normal) (the Rust crate's
// goaway_normal), then closes the transport.
func TestRawCloseSendsGoAway(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.sendSYN(1, nil)
	p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	p.sess.Close()
	p.expect(hdr(frame.TypeData, frame.FlagRST, 1, 0), nil)
	p.expectBytes(golden(t, "goaway_normal"))
	p.expectEOF()
	if err := p.sess.Err(); !errors.Is(err, core.ErrSessionClosed) {
		t.Fatalf("Err() after Close = %v; want ErrSessionClosed", err)
	}
}

// A Shutdown whose context ends with streams open resets them, as Close
// does, so that the peer's streams fail at once even where the transport
// cannot signal its end; the GoAway(Normal) goes out too.
func TestRawShutdownGivingUpResets(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.sendSYN(1, nil)
	p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	ctx, cancel := contextFor(0)
	defer cancel()
	if err := p.sess.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown with an expired context = %v", err)
	}
	var rst, goAway bool
	for !rst || !goAway {
		h, _ := p.next()
		switch h {
		case hdr(frame.TypeData, frame.FlagRST, 1, 0):
			rst = true
		case hdr(frame.TypeGoAway, 0, 0, uint32(frame.CodeNormal)):
			goAway = true
		default:
			t.Fatalf("session sent %v; want only RST on stream 1 and GoAway(Normal)", h)
		}
	}
	p.expectEOF()
}
