package interop

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
	"github.com/xtaci/smux"
)

// xtaci/smux speaks another protocol (8-byte little-endian headers,
// version 1 or 2): netmux and smux ends cannot talk. These tests check that
// a netmux end says so in bounded time instead of hanging.

// An smux client opening a stream on a netmux server: the server names the
// mismatch as soon as the open arrives.
func TestSmuxClientToNetmuxServer(t *testing.T) {
	for _, c := range []struct {
		version int
		says    string
	}{
		{1, "first frame Data with flags 0 neither opens, accepts nor resets a stream (smux v1?)"},
		{2, "version byte 0x02 (smux v2?)"},
	} {
		t.Run(fmt.Sprintf("v%d", c.version), func(t *testing.T) {
			cc, sc := tcpPair(t)
			srv, err := core.Server(sc, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			cfg := smux.DefaultConfig()
			cfg.Version = c.version
			cli, err := smux.Client(cc, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			if _, err := cli.OpenStream(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := contextFor(testTimeout)
			defer cancel()
			_, err = srv.AcceptStream(ctx)
			expectMismatch(t, err, c.says)
		})
	}
}

// A netmux client on an smux server. The smux server gives up reading at
// our second frame and sends nothing but its keepalive NOPs: protocol 2's
// first NOP shows its version byte; two of protocol 1's read as a GoAway
// with a code no net-mux peer sends. Without smux keepalive the server is
// silent, and netmux's keepalive timeout ends the session.
func TestNetmuxClientToSmuxServer(t *testing.T) {
	for _, c := range []struct {
		name    string
		version int
		says    string // "" for the keepalive timeout
	}{
		{"v1", 1, "first frame GoAway[0] 0 len=16973824 carries an unknown code (smux v1?)"},
		{"v2", 2, "version byte 0x02 (smux v2?)"},
		{"v1NoKeepAlive", 1, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cc, sc := tcpPair(t)
			cfg := smux.DefaultConfig()
			cfg.Version = c.version
			cfg.KeepAliveInterval = 20 * time.Millisecond
			cfg.KeepAliveTimeout = time.Hour // smux must not give up first
			cfg.KeepAliveDisabled = c.says == ""
			srv, err := smux.Server(sc, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			ncfg := core.DefaultConfig()
			if c.says == "" {
				ncfg.KeepAliveInterval = 20 * time.Millisecond
				ncfg.KeepAliveTimeout = 200 * time.Millisecond
			}
			cli, st := netmuxStream(t, cc, ncfg)
			if _, err := st.Write([]byte("GET / HTTP/1.0\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			err = sessionEnd(t, cli)
			if c.says == "" {
				var ga *core.GoAwayError
				if !errors.As(err, &ga) || ga.Code != frame.CodeTimeout {
					t.Fatalf("session ended with %v; want a keepalive timeout", err)
				}
				return
			}
			expectMismatch(t, err, c.says)
		})
	}
}

// expectMismatch checks that err reports a protocol mismatch and says what
// was seen.
func expectMismatch(t *testing.T, err error, says string) {
	t.Helper()
	if !errors.Is(err, core.ErrProtocolMismatch) {
		t.Fatalf("error %v; want one matching core.ErrProtocolMismatch", err)
	}
	if !strings.Contains(err.Error(), says) {
		t.Fatalf("error %q; want it to say %q", err, says)
	}
	t.Log(err)
}
