package evloop_test

import (
	"testing"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/internal/conformance"
)

// TestConformance runs the shared transport suite with event loops on both
// ends, on the server end only, and on the client end only. Each variant
// makes all its pairs on one Listener and/or one Client, so many sessions
// share the same event loops.
func TestConformance(t *testing.T) {
	sc := core.DefaultConfig()
	cfg := sessionConfig(sc)
	t.Run("BothEnds", func(t *testing.T) {
		ln, cl := newListener(t, cfg), newClient(t, cfg)
		conformance.Run(t, func(t *testing.T) (client, server *core.Session) {
			return gnetPair(t, ln, cl)
		})
	})
	t.Run("ServerOnly", func(t *testing.T) {
		ln := newListener(t, cfg)
		conformance.Run(t, func(t *testing.T) (client, server *core.Session) {
			return gnetServerPair(t, ln, sc)
		})
	})
	t.Run("ClientOnly", func(t *testing.T) {
		nl, cl := newTCPListener(t), newClient(t, cfg)
		conformance.Run(t, func(t *testing.T) (client, server *core.Session) {
			return gnetClientPair(t, nl, cl, sc)
		})
	})
}
