// Package conformance is the behaviour every netmux transport must show:
// one suite of subtests over a connected pair of sessions, run by core's
// tests over net.Pipe and TCP and by each transport/* package over its own
// way of moving bytes.
//
// Every wait in the suite is bounded (contexts, stream deadlines or a
// timer), so a broken transport fails a subtest instead of hanging it.
package conformance

import (
	"testing"

	"github.com/netmux/netmux/core"
)

// PairMaker returns a connected client and server session over the
// transport under test, each made with the same configuration. It must
// register the cleanup that closes both (and anything else it started) with
// t.Cleanup, and call t.Fatal itself if it cannot build the pair.
//
// The suite expects stream limits of at least DefaultConfig's (MaxStreams
// 1024), the same AcceptBacklog on both sides, MaxFrameSize and
// MaxSendBuffer at their defaults or above, and MaxStreamWindow at its
// default or below; keepalive may be on or off.
type PairMaker func(t *testing.T) (client, server *core.Session)

// Run runs every subtest of the suite, each on pairs it makes with mk.
// Subtests run one after another; each takes well under a second on a
// working transport.
func Run(t *testing.T, mk PairMaker) {
	tests := []struct {
		name string
		fn   func(*testing.T, PairMaker)
	}{
		{"OpenAcceptEcho", testOpenAcceptEcho},
		{"OpenWithoutRoundTrip", testOpenWithoutRoundTrip},
		{"HalfClose", testHalfClose},
		{"Reset", testReset},
		{"Deadlines", testDeadlines},
		{"SessionClose", testSessionClose},
		{"Shutdown", testShutdown},
		{"FlowControl", testFlowControl},
		{"HeadOfLine", testHeadOfLine},
		{"ManyStreams", testManyStreams},
		{"OpenBurst", testOpenBurst},
		{"NetTest", testNetTest},
		{"PingAndNumStreams", testPingAndNumStreams},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, mk) })
	}
}
