package core_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// A peer whose first bytes show another protocol ends the session at once,
// even before a whole 12-byte header is in: GoAway (InvalidVersion for a
// wrong version byte, ProtocolError otherwise), then the transport closes,
// and Err matches core.ErrProtocolMismatch and names what was seen.
func TestRawProtocolMismatch(t *testing.T) {
	cases := []struct {
		name  string
		first []byte
		code  frame.ErrorCode
		says  string
	}{
		// yamux opens a stream with a WindowUpdate carrying SYN, version 0.
		{"YamuxOpen", []byte{0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0}, frame.CodeInvalidVersion, "version byte 0x00 (yamux?)"},
		// One byte is enough to see a wrong version.
		{"OneByte", []byte{0}, frame.CodeInvalidVersion, "version byte 0x00 (yamux?); first bytes 00"},
		// smux v2 SYN for stream 1: 8 bytes, little-endian length and id.
		{"SmuxV2Open", []byte{2, 0, 0, 0, 1, 0, 0, 0}, frame.CodeInvalidVersion, "version byte 0x02 (smux v2?)"},
		// smux v1 SYN: it reads as a Data frame with no flags.
		{"SmuxV1Open", []byte{1, 0, 0, 0, 1, 0, 0, 0}, frame.CodeProtocolError, "neither opens, accepts nor resets a stream (smux v1?); first bytes 01 00 00 00 01 00 00 00"},
		// smux v1 PSH of 5 bytes: its length reads as undefined flags.
		{"SmuxV1Data", []byte{1, 2, 5, 0, 1, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}, frame.CodeProtocolError, "undefined flag bits set (smux v1?)"},
		// Two smux v1 keepalive NOPs read as a GoAway with a strange code.
		{"SmuxV1KeepAlive", []byte{1, 3, 0, 0, 0, 0, 0, 0, 1, 3, 0, 0, 0, 0, 0, 0}, frame.CodeProtocolError, "carries an unknown code (smux v1?)"},
		// A TLS client talking to a plain server.
		{"TLSClientHello", []byte{0x16, 3, 1, 0, 0xf8, 1, 0, 0, 0xf4, 3, 3}, frame.CodeInvalidVersion, "version byte 0x16 (a TLS handshake?)"},
		// A net-mux v1 header that fails validation as the first frame.
		{"TooLong", frame.AppendHeader(nil, hdr(frame.TypeData, frame.FlagSYN, 1, 1<<24)), frame.CodeProtocolError, "data frame longer than the max frame size"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newRawPeer(t, core.RoleServer, nil)
			p.write(c.first)
			p.expectGoAway(c.code)
			err := p.sess.Err()
			if !errors.Is(err, core.ErrProtocolMismatch) {
				t.Fatalf("Err() = %v; want one matching core.ErrProtocolMismatch", err)
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Fatalf("Err() = %q; want it to say %q", err, c.says)
			}
			if c.code == frame.CodeInvalidVersion && !errors.Is(err, frame.ErrInvalidVersion) {
				t.Fatalf("Err() = %v; want one matching frame.ErrInvalidVersion", err)
			}
		})
	}
}

// Every first frame a net-mux v1 peer sends passes the first-frame check;
// later frames are not held to it (an unknown GoAway code is kept).
func TestRawPlausibleFirstFrames(t *testing.T) {
	for _, c := range []struct {
		name  string
		role  core.Role
		first frame.Header
	}{
		{"Ping", core.RoleServer, hdr(frame.TypePing, 0, 0, 1)},
		{"PingReply", core.RoleServer, hdr(frame.TypePing, frame.FlagACK, 0, 1)},
		{"Open", core.RoleServer, hdr(frame.TypeData, frame.FlagSYN, 1, 0)},
		{"Refusal", core.RoleClient, hdr(frame.TypeData, frame.FlagRST, 1, 0)},
		{"Accept", core.RoleClient, hdr(frame.TypeData, frame.FlagACK, 1, 0)},
		{"WindowUpdate", core.RoleClient, hdr(frame.TypeWindowUpdate, 0, 1, 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newRawPeer(t, c.role, nil)
			p.send(c.first, nil)
			if c.first.Type == frame.TypePing && c.first.Flags == 0 {
				p.expect(hdr(frame.TypePing, frame.FlagACK, 0, c.first.Length), nil)
			}
			p.send(hdr(frame.TypeGoAway, 0, 0, 77), nil) // unknown, but not first
			p.expectEOF()
			expectGoAwayErr(t, p.sess.Err(), 77, true)
		})
	}
}

// A transport that closes before the peer sent a byte (a yamux server does
// that on our first frame) says so.
func TestRawSilentPeerClosed(t *testing.T) {
	p := newRawPeer(t, core.RoleClient, nil)
	p.conn.Close()
	select {
	case <-p.sess.Done():
	case <-time.After(rawTimeout):
		t.Fatal("session still running after its transport closed")
	}
	if err := p.sess.Err(); !strings.Contains(err.Error(), "before the peer sent anything") {
		t.Fatalf("Err() = %q; want it to say the peer sent nothing", err)
	}
}
