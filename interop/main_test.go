package interop

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTimeout bounds every wait in these tests; a passing run never gets
// near it.
const testTimeout = 10 * time.Second

// tcpPair returns both ends of a TCP connection on 127.0.0.1, closed at
// test cleanup.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept() // nil if Dial failed and ln closed
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		client.Close()
		t.Fatal("accept failed")
	}
	t.Cleanup(func() {
		client.Close()
		server.Close()
	})
	return client, server
}

// sessionEnd waits, at most testTimeout, for sess to end and returns why.
func sessionEnd(t *testing.T, sess *core.Session) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	select {
	case <-sess.Done():
		return sess.Err()
	case <-ctx.Done():
		t.Fatalf("netmux session still running after %v with a peer that does not speak net-mux v1", testTimeout)
		return nil
	}
}

// netmuxStream starts a netmux client session with cfg on c, closed when t
// ends, and opens a stream on it.
func netmuxStream(t *testing.T, c net.Conn, cfg *core.Config) (*core.Session, *core.Stream) {
	t.Helper()
	cli, err := core.Client(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	ctx, cancel := contextFor(testTimeout)
	defer cancel()
	st, err := cli.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return cli, st
}

// contextFor returns a context that ends after d.
func contextFor(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
