package conformance

import (
	"testing"

	"github.com/netmux/netmux/core"
)

// testPingAndNumStreams: Ping measures a positive round-trip time from
// either side, and NumStreams counts open streams and returns to 0 once
// they have finished.
func testPingAndNumStreams(t *testing.T, mk PairMaker) {
	client, server := mk(t)
	sides := []struct {
		name string
		s    *core.Session
	}{{"client", client}, {"server", server}}
	for _, side := range sides {
		rtt, err := side.s.Ping(testContext(t))
		if err != nil {
			t.Fatalf("%s Ping: %v", side.name, err)
		}
		if rtt <= 0 {
			t.Fatalf("%s Ping RTT = %v; want > 0", side.name, rtt)
		}
		if side.s.RTT() <= 0 {
			t.Fatalf("%s RTT() after a Ping = %v; want > 0", side.name, side.s.RTT())
		}
	}

	for _, side := range sides {
		if n := side.s.NumStreams(); n != 0 {
			t.Fatalf("%s NumStreams before any stream = %d", side.name, n)
		}
	}
	var opened, accepted []*core.Stream
	for i := range 3 {
		a, b := OpenPair(t, client, server)
		opened, accepted = append(opened, a), append(accepted, b)
		if n := client.NumStreams(); n != i+1 {
			t.Fatalf("client NumStreams with %d streams open = %d", i+1, n)
		}
		if n := server.NumStreams(); n != i+1 {
			t.Fatalf("server NumStreams with %d streams accepted = %d", i+1, n)
		}
	}
	c, d := OpenPair(t, server, client)
	if client.NumStreams() != 4 || server.NumStreams() != 4 {
		t.Fatalf("NumStreams with 4 streams open = %d (client), %d (server)", client.NumStreams(), server.NumStreams())
	}
	opened, accepted = append(opened, c), append(accepted, d)
	for i := range opened {
		opened[i].CloseWrite()
		accepted[i].CloseWrite()
		expectEOF(t, opened[i])
		expectEOF(t, accepted[i])
	}
	waitNumStreams(t, client, 0, "client after its streams finished")
	waitNumStreams(t, server, 0, "server after its streams finished")
}
