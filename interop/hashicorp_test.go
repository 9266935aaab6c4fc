package interop_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/yamux"
)

// hashicorp starts a github.com/hashicorp/yamux session at its defaults,
// with the log discarded.
func hashicorp(t *testing.T, conn net.Conn, client bool, keepAlive time.Duration) peer {
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
	s, err := start(conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHashicorpStreams(t *testing.T)   { testStreams(t, hashicorp) }
func TestHashicorpOpenBurst(t *testing.T) { testOpenBurst(t, hashicorp) }
func TestHashicorpReset(t *testing.T)     { testNetmuxReset(t, hashicorp) }
func TestHashicorpPing(t *testing.T)      { testPing(t, hashicorp) }
func TestHashicorpKeepAlive(t *testing.T) { testKeepAlive(t, hashicorp) }
func TestHashicorpGoAway(t *testing.T)    { testPeerGoAway(t, hashicorp) }
func TestHashicorpShutdown(t *testing.T)  { testNetmuxShutdown(t, hashicorp, true) }
func TestHashicorpClose(t *testing.T)     { testClose(t, hashicorp) }
