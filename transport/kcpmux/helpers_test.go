package kcpmux

import (
	"context"
	"crypto/sha256"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	kcp "github.com/xtaci/kcp-go/v5"
)

// testTimeout bounds every wait in this package's tests.
const testTimeout = 20 * time.Second

// testConfig is DefaultConfig with keepalive off, so that no timer outlives
// a test by accident, and a Linger of 1 s, so that no closed connection
// does; adjust may change it further.
func testConfig(adjust func(*Config)) *Config {
	c := DefaultConfig()
	c.Linger = time.Second
	c.Mux = DefaultMuxConfig()
	c.Mux.KeepAliveInterval = 0
	if adjust != nil {
		adjust(c)
	}
	return c
}

// pairOverUDP returns both ends of a session over KCP on loopback UDP; the
// listener is closed at cleanup, after the sessions.
func pairOverUDP(t testing.TB, cfg *Config) (client, server *core.Session) {
	t.Helper()
	ln, err := Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	client, err = Dial(ctx, ln.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server = acceptWithPing(t, ctx, ln, client)
	return client, server
}

// acceptWithPing accepts client's session on ln. The server's KCP
// connection appears with the client's first frame: a ping, which the
// server session answers once accepted. The server session is closed at
// cleanup.
func acceptWithPing(t testing.TB, ctx context.Context, ln *Listener, client *core.Session) *core.Session {
	t.Helper()
	pinged := make(chan error, 1)
	go func() {
		_, err := client.Ping(ctx)
		pinged <- err
	}()
	server, err := ln.AcceptSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	if err := <-pinged; err != nil {
		t.Fatal(err)
	}
	return server
}

// waitFor polls cond until it holds, failing the test after testTimeout.
// It is for kcp-go's internal progress, which has nothing to wait on.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// passiveOpens returns how many connections kcp-go's listeners have
// created in this process.
func passiveOpens() uint64 { return atomic.LoadUint64(&kcp.DefaultSnmp.PassiveOpens) }

// payload returns n pseudo-random bytes determined by seed.
func payload(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// digest is the checksum the tests compare.
func digest(b []byte) [sha256.Size]byte { return sha256.Sum256(b) }
