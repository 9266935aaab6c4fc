package evloop_test

import (
	"testing"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/internal/conformance"
	"github.com/netmux/netmux/transport/evloop"
)

// TestConformance runs the shared transport suite with event loops on both
// ends, on the server end only, and on the client end only. Each variant
// makes all its pairs on one Listener and/or one Client, so many sessions
// share the same event loops.
//
// Streams' windows may auto-tune to 2 MiB instead of 16. The suite's
// FlowControl test holds a writer to 4 MiB ahead of a slow reader, which
// assumes the reader's round-trip estimate stays small; with the test's
// goroutines saturating both CPUs, an event loop returning from epoll_wait
// can wait milliseconds for a processor, a ping reply is that late, and
// the window legitimately grows past 4 MiB (about one run in ten).
func TestConformance(t *testing.T) {
	sc := core.DefaultConfig()
	sc.MaxStreamWindow = 2 << 20
	cfg := &evloop.Config{Session: sc}
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
