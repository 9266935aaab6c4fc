package core_test

import (
	"net"
	"testing"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/internal/conformance"
)

// TestConformancePipe runs the shared suite over net.Pipe.
func TestConformancePipe(t *testing.T) {
	conformance.Run(t, func(t *testing.T) (*core.Session, *core.Session) {
		c1, c2 := net.Pipe()
		return startPair(t, c1, c2, nil)
	})
}

// TestConformanceTCP runs the shared suite over loopback TCP.
func TestConformanceTCP(t *testing.T) {
	conformance.Run(t, func(t *testing.T) (*core.Session, *core.Session) {
		c1, c2 := core.LoopbackTCP(t)
		return startPair(t, c1, c2, nil)
	})
}

// startPair starts a client session on c1 and a server session on c2 with
// cfg (nil: the defaults), closed when t ends.
func startPair(t testing.TB, c1, c2 net.Conn, cfg *core.Config) (*core.Session, *core.Session) {
	t.Helper()
	client, err := core.Client(c1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	server, err := core.Server(c2, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.Close()
		server.Close()
		<-client.Done()
		<-server.Done()
	})
	return client, server
}
