package core_test

import (
	"errors"
	"io"
	"net"
	"testing"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// Every frame that breaks the protocol ends the session: GoAway with the
// right code, then the transport closes; Err reports the GoAway sent, and
// streams open at the time read an error, never io.EOF.
func TestRawViolations(t *testing.T) {
	data := func(flags frame.Flags, id, n uint32) []byte {
		return frame.AppendHeader(nil, hdr(frame.TypeData, flags, id, n))
	}
	cases := []struct {
		name string
		role core.Role
		tune func(*core.Config)
		bad  []byte // sent after stream 1 (or 2) is open
		code frame.ErrorCode
	}{
		{"SYNWithServerParity", core.RoleServer, nil, data(frame.FlagSYN, 4, 0), frame.CodeProtocolError},
		{"SYNWithClientParity", core.RoleClient, nil, data(frame.FlagSYN, 5, 0), frame.CodeProtocolError},
		{"SYNOnStreamZero", core.RoleServer, nil, data(frame.FlagSYN, 0, 0), frame.CodeProtocolError},
		{"SYNOnIDInUse", core.RoleServer, nil, data(frame.FlagSYN, 1, 0), frame.CodeProtocolError},
		{"DataOnStreamZero", core.RoleServer, nil, data(0, 0, 0), frame.CodeProtocolError},
		{"BadVersion", core.RoleServer, nil, []byte{2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, frame.CodeInvalidVersion},
		{"VersionZero", core.RoleServer, nil, []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, frame.CodeInvalidVersion},
		{"UnknownType", core.RoleServer, nil, frame.AppendHeader(nil, hdr(4, 0, 1, 0)), frame.CodeProtocolError},
		{"UndefinedFlagBit", core.RoleServer, nil, data(0x10, 1, 0), frame.CodeProtocolError},
		{"UndefinedFlagBitOnPing", core.RoleServer, nil, frame.AppendHeader(nil, hdr(frame.TypePing, 0x8000, 0, 1)), frame.CodeProtocolError},
		{"PingOnStream", core.RoleServer, nil, frame.AppendHeader(nil, hdr(frame.TypePing, 0, 1, 1)), frame.CodeProtocolError},
		{"GoAwayOnStream", core.RoleServer, nil, frame.AppendHeader(nil, hdr(frame.TypeGoAway, 0, 1, 0)), frame.CodeProtocolError},
		{"WindowUpdateOnStreamZero", core.RoleServer, nil, frame.AppendHeader(nil, hdr(frame.TypeWindowUpdate, 0, 0, 1)), frame.CodeProtocolError},
		{"DataOverMaxFrameSize", core.RoleServer, nil, data(0, 1, frame.DefaultMaxFrameSize+1), frame.CodeProtocolError},
		{"DataOverConfiguredMaxFrameSize", core.RoleServer, func(c *core.Config) { c.MaxFrameSize = 1024 }, data(0, 1, 1025), frame.CodeProtocolError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newRawPeer(t, c.role, c.tune)
			// A stream is open on each side when the violation comes.
			peerID := uint32(1)
			if c.role == core.RoleClient {
				peerID = 2
			}
			p.sendSYN(peerID, []byte("unread"))
			st := p.accept()
			p.expect(hdr(frame.TypeData, frame.FlagACK, peerID, 0), nil)

			p.write(c.bad)
			p.expectGoAway(c.code)
			err := readErr(st)
			if err == io.EOF || !errors.Is(err, net.ErrClosed) {
				t.Fatalf("stream open at the violation: read error %v; want one matching net.ErrClosed, not io.EOF", err)
			}
			if _, err := p.sess.OpenStream(t.Context()); err == nil {
				t.Fatal("OpenStream succeeded after the session ended")
			}
		})
	}
}
