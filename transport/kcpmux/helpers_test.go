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
	return dialAccept(t, ln, func(ctx context.Context) (*core.Session, error) {
		return Dial(ctx, ln.Addr().String(), cfg)
	})
}

// dialAccept dials with dial while ln accepts: Dial returns only once the
// server session, which appears with the client's first frame, has answered
// its ping. Both sessions are closed at cleanup.
func dialAccept(t testing.TB, ln *Listener, dial func(context.Context) (*core.Session, error)) (client, server *core.Session) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	type result struct {
		s   *core.Session
		err error
	}
	accepted := make(chan result, 1)
	go func() {
		s, err := ln.AcceptSession(ctx)
		accepted <- result{s, err}
	}()
	client, err := dial(ctx)
	if err == nil {
		t.Cleanup(func() { client.Close() })
	} else {
		cancel() // ends the AcceptSession
	}
	r := <-accepted
	if r.err == nil {
		t.Cleanup(func() { r.s.Close() })
	}
	if err != nil {
		t.Fatal(err)
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return client, r.s
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
