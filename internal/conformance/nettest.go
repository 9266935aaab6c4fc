package conformance

import (
	"net"
	"testing"

	"golang.org/x/net/nettest"
)

// testNetTest runs golang.org/x/net/nettest.TestConn on the two ends of one
// stream: a stream must behave as a net.Conn in every respect it checks.
func testNetTest(t *testing.T, mk PairMaker) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		client, server := mk(t)
		ctx, cancel := contextWithTimeout()
		defer cancel()
		a, b, err := openPair(ctx, client, server)
		if err != nil {
			return nil, nil, nil, err
		}
		stop = func() {
			a.Close()
			b.Close()
			client.Close()
			server.Close()
		}
		return a, b, stop, nil
	})
}
