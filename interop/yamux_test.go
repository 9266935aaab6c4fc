package interop

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/hashicorp/yamux"
	"github.com/netmux/netmux/core"
)

// hashicorp/yamux uses net-mux's header layout with version byte 0: the
// two cannot talk. These tests check that a netmux end says so in bounded
// time instead of hanging or reading a clean EOF.

// yamuxConfig is yamux's default configuration without its log output.
func yamuxConfig() *yamux.Config {
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = io.Discard
	return cfg
}

// A yamux client on a netmux server. With keepalive off the netmux server
// sends nothing first, so yamux's open arrives and its first byte names it.
// With keepalive on, the server's first ping may reach yamux first: yamux
// then hangs up without a word, and the server says the peer sent nothing.
func TestYamuxClientToNetmuxServer(t *testing.T) {
	for _, c := range []struct {
		name      string
		keepalive bool
	}{{"Quiet", false}, {"KeepAlive", true}} {
		t.Run(c.name, func(t *testing.T) {
			cc, sc := tcpPair(t)
			cfg := core.DefaultConfig()
			if !c.keepalive {
				cfg.KeepAliveInterval = 0
			}
			srv, err := core.Server(sc, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			cli, err := yamux.Client(cc, yamuxConfig())
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			// Open and Write may fail: once netmux has seen yamux's first
			// frame it hangs up, and yamux may notice before they return.
			if st, err := cli.OpenStream(); err == nil {
				st.Write([]byte("hello"))
			}
			ctx, cancel := contextFor(testTimeout)
			defer cancel()
			_, err = srv.AcceptStream(ctx)
			if c.keepalive && err != nil && strings.Contains(err.Error(), "before the peer sent anything") {
				t.Log(err)
				return
			}
			expectMismatch(t, err, "version byte 0x00 (yamux?)")
		})
	}
}

// A netmux client on a yamux server: yamux closes the connection at our
// first frame without a word, and the netmux session says that the peer
// sent nothing; a stream's read fails, it does not end cleanly. Keepalive
// is off so that the first frame is the stream's: with it on, the ping
// sent at start may end the session before the stream opens.
func TestNetmuxClientToYamuxServer(t *testing.T) {
	cc, sc := tcpPair(t)
	srv, err := yamux.Server(sc, yamuxConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := core.DefaultConfig()
	cfg.KeepAliveInterval = 0
	cli, st := netmuxStream(t, cc, cfg)
	st.Write([]byte("hello")) // may fail once yamux has hung up
	err = sessionEnd(t, cli)
	if !errors.Is(err, net.ErrClosed) || !strings.Contains(err.Error(), "before the peer sent anything") {
		t.Fatalf("session ended with %v; want the transport closed before the peer sent anything", err)
	}
	t.Log(err)
	if _, err := io.ReadAll(st); err == nil {
		t.Fatal("stream read ended cleanly on a session the peer never spoke on")
	}
}
