package kcpmux

import (
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/internal/conformance"
)

// conformanceConfig has a quick keepalive: KCP has no end-of-stream, so the
// peer of a session that closes learns of it only when its pings go
// unanswered, and the suite waits for that.
func conformanceConfig() *Config {
	return testConfig(func(c *Config) {
		c.Mux.KeepAliveInterval = 200 * time.Millisecond
		c.Mux.KeepAliveTimeout = time.Second
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
