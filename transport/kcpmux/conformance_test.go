package kcpmux

import (
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/internal/conformance"
)

// conformanceConfig has a quick keepalive: KCP has no end-of-stream, so the
// peer of a session that ends without a word learns of it only when its
// pings go unanswered, and the suite waits for that. A ping is "written"
// once kcp-go has queued it, behind up to a send window of segments that
// kcp-go has yet to send, so the timeout must cover draining that window
// at the worst throughput the test sees (a busy machine, -race): the
// windows are 256 segments (345 KB), not 2048 (2.7 MB).
func conformanceConfig() *Config {
	return testConfig(func(c *Config) {
		c.Mux.KeepAliveInterval = 200 * time.Millisecond
		c.Mux.KeepAliveTimeout = time.Second
		c.SendWindow, c.RecvWindow = 256, 256
	})
}

// TestConformance runs the shared transport suite over KCP on loopback
// UDP. (Over a lossy link its 1000-stream test outlasts its own 10 s bound
// under -race on two cores; lossy_test.go covers loss instead.)
func TestConformance(t *testing.T) {
	t.Parallel() // with TestLossyBulk, after the tests that count goroutines
	conformance.Run(t, func(t *testing.T) (client, server *core.Session) {
		return pairOverUDP(t, conformanceConfig())
	})
}
