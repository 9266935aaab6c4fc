package kcpmux

import (
	"testing"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/internal/conformance"
)

// TestConformance runs the shared transport suite over KCP on loopback
// UDP. (Over a lossy link its 1000-stream test outlasts its own 10 s bound
// under -race on two cores; lossy_test.go covers loss instead.)
func TestConformance(t *testing.T) {
	t.Parallel() // with TestLossyBulk, after the tests that count goroutines
	conformance.Run(t, func(t *testing.T) (client, server *core.Session) {
		return pairOverUDP(t, testConfig(nil))
	})
}
