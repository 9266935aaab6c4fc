package interop_test

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/libp2p/go-yamux/v5"
	"github.com/netmux/netmux/core"
)

// goYamux is a github.com/libp2p/go-yamux/v5 session at its defaults (no
// memory manager), with the log discarded.
type goYamux struct{ *yamux.Session }

// Open opens a stream; go-yamux takes a context.
func (s goYamux) Open() (net.Conn, error) { return s.Session.Open(context.Background()) }

func startGoYamux(t *testing.T, conn net.Conn, client bool, keepAlive time.Duration) peer {
	t.Helper()
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = io.Discard
	cfg.EnableKeepAlive = keepAlive > 0
	if keepAlive > 0 {
		cfg.KeepAliveInterval = keepAlive
	}
	start := yamux.Server
	if client {
		start = yamux.Client
	}
	s, err := start(conn, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return goYamux{s}
}

func TestGoYamuxStreams(t *testing.T)   { testStreams(t, startGoYamux) }
func TestGoYamuxOpenBurst(t *testing.T) { testOpenBurst(t, startGoYamux) }
func TestGoYamuxReset(t *testing.T)     { testNetmuxReset(t, startGoYamux) }
func TestGoYamuxPing(t *testing.T)      { testPing(t, startGoYamux) }
func TestGoYamuxKeepAlive(t *testing.T) { testKeepAlive(t, startGoYamux) }
func TestGoYamuxGoAway(t *testing.T)    { testPeerGoAway(t, startGoYamux) }
func TestGoYamuxShutdown(t *testing.T)  { testNetmuxShutdown(t, startGoYamux, false) }
func TestGoYamuxClose(t *testing.T)     { testClose(t, startGoYamux) }

// go-yamux resets with an error code in the WindowUpdate's Length: netmux
// reports a reset, takes no credit from it, and the session goes on.
func TestGoYamuxPeerReset(t *testing.T) {
	roles(t, func(t *testing.T, nmClient bool) {
		p := newPair(t, startGoYamux, nmClient, 0, nil)
		for _, code := range []uint32{0, 42, 1<<32 - 1} {
			st, c := openPair(t, p)
			ys := c.(*yamux.Stream)
			if code == 0 {
				ys.Reset()
			} else {
				ys.ResetWithError(code)
			}
			if _, err := io.Copy(io.Discard, st); !errors.Is(err, core.ErrStreamReset) {
				t.Fatalf("netmux Read after go-yamux's reset (code %d): %v; want ErrStreamReset", code, err)
			}
		}
		testEcho(t, p, true, 4, 300<<10)
	})
}
