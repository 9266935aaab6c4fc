package evloop_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/transport/evloop"
)

// pairTimeout bounds every wait while making a pair.
const pairTimeout = 10 * time.Second

// newListener starts a Listener on a free loopback port, closed when the
// test ends.
func newListener(t testing.TB, cfg *evloop.Config) *evloop.Listener {
	t.Helper()
	ln, err := evloop.Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// sessionConfig returns the default Config with sc for every session.
func sessionConfig(sc *core.Config) *evloop.Config {
	cfg := evloop.DefaultConfig()
	cfg.Session = sc
	return cfg
}

// newClient starts a Client, closed when the test ends.
func newClient(t testing.TB, cfg *evloop.Config) *evloop.Client {
	t.Helper()
	cl, err := evloop.NewClient(cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// acceptFrom accepts the server session whose peer is at remote.
func acceptFrom(t testing.TB, ln *evloop.Listener, remote net.Addr) *core.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pairTimeout)
	defer cancel()
	s, err := ln.AcceptSession(ctx)
	if err != nil {
		t.Fatalf("AcceptSession: %v", err)
	}
	if s.RemoteAddr().String() != remote.String() {
		t.Fatalf("accepted a session from %v, want %v", s.RemoteAddr(), remote)
	}
	return s
}

// closeBoth closes both sessions when the test ends.
func closeBoth(t testing.TB, a, b *core.Session) {
	t.Cleanup(func() {
		a.Close()
		b.Close()
	})
}

// gnetPair connects a Client session to a Listener session: both ends on
// event loops.
func gnetPair(t testing.TB, ln *evloop.Listener, cl *evloop.Client) (client, server *core.Session) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pairTimeout)
	defer cancel()
	c, err := cl.Dial(ctx, ln.Addr().String())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	s := acceptFrom(t, ln, c.LocalAddr())
	closeBoth(t, c, s)
	return c, s
}

// gnetServerPair connects core.Client over a plain net.Conn to a Listener.
func gnetServerPair(t testing.TB, ln *evloop.Listener, cfg *core.Config) (client, server *core.Session) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", ln.Addr().String(), pairTimeout)
	if err != nil {
		t.Fatalf("net.Dial: %v", err)
	}
	c, err := core.Client(nc, cfg)
	if err != nil {
		nc.Close()
		t.Fatalf("core.Client: %v", err)
	}
	s := acceptFrom(t, ln, nc.LocalAddr())
	closeBoth(t, c, s)
	return c, s
}

// gnetClientPair connects a Client session to core.Server over a plain
// net.Listener.
func gnetClientPair(t testing.TB, nl net.Listener, cl *evloop.Client, cfg *core.Config) (client, server *core.Session) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pairTimeout)
	defer cancel()
	c, err := cl.Dial(ctx, nl.Addr().String())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	nl.(*net.TCPListener).SetDeadline(time.Now().Add(pairTimeout))
	nc, err := nl.Accept()
	if err != nil {
		c.Close()
		t.Fatalf("net.Listener.Accept: %v", err)
	}
	s, err := core.Server(nc, cfg)
	if err != nil {
		nc.Close()
		c.Close()
		t.Fatalf("core.Server: %v", err)
	}
	closeBoth(t, c, s)
	return c, s
}

// newTCPListener listens on a free loopback port, closed when the test
// ends.
func newTCPListener(t testing.TB) net.Listener {
	t.Helper()
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("net.Listen: %v", err)
	}
	t.Cleanup(func() { nl.Close() })
	return nl
}
