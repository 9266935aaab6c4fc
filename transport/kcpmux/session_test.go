package kcpmux

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"go.uber.org/goleak"
)

// TestEcho moves data both ways on a few concurrent streams.
func TestEcho(t *testing.T) {
	client, server := pairOverUDP(t, testConfig(nil))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	go func() {
		for {
			st, err := server.AcceptStream(ctx)
			if err != nil {
				return
			}
			go func() {
				defer st.Close()
				io.Copy(st, st)
			}()
		}
	}()
	const streams = 4
	errs := make(chan error, streams)
	for i := range streams {
		go func() {
			st, err := client.OpenStream(ctx)
			if err != nil {
				errs <- err
				return
			}
			defer st.Close()
			want := payload(uint64(i), 256<<10)
			go func() {
				st.Write(want)
				st.CloseWrite()
			}()
			got, err := io.ReadAll(st)
			if err == nil && !bytes.Equal(got, want) {
				err = io.ErrUnexpectedEOF
			}
			errs <- err
		}()
	}
	for range streams {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestSessionCloseReleasesConn: closing both sessions closes their KCP
// connections; nothing of them runs afterwards, while the listener does.
func TestSessionCloseReleasesConn(t *testing.T) {
	ln, err := Listen("127.0.0.1:0", testConfig(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// Ignore what runs already: the listener's goroutines, and what may
	// still be lingering from earlier tests.
	before := goleak.IgnoreCurrent()
	client, server := dialAccept(t, ln, func(ctx context.Context) (*core.Session, error) {
		return Dial(ctx, ln.Addr().String(), testConfig(nil))
	})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	a, b := openPair(t, ctx, client, server)
	if _, err := a.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	var buf [4]byte
	if _, err := io.ReadFull(b, buf[:]); err != nil {
		t.Fatal(err)
	}
	client.Close()
	server.Close()
	verifyNoLeaks(t, before)
}

// TestListenerClose: closing the listener ends the sessions accepted from
// it and closes the connections not yet accepted; nothing of it runs
// afterwards.
func TestListenerClose(t *testing.T) {
	cfg := testConfig(nil)
	ln, err := Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	opens := passiveOpens()
	var clients []*core.Session
	for range 4 {
		// Sessions that are never accepted: Dial would wait for an
		// answer, so they are made by hand.
		kc, err := DialConn(ctx, ln.Addr().String(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		c, err := core.Client(kc, cfg.Mux)
		if err != nil {
			kc.Close()
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
		// A stream's first bytes make the server side exist.
		st, err := c.OpenStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the server side of 4 connections", func() bool { return passiveOpens()-opens >= 4 })
	accepted, err := ln.AcceptSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// One more is held for the next Accept, two are in kcp-go's backlog.
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-accepted.Done():
	case <-ctx.Done():
		t.Fatal("accepted session still running after its listener closed")
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close = %v; want net.ErrClosed", err)
	}
	for _, c := range clients {
		c.Close()
	}
	verifyNoLeaks(t)
}

// TestGhostNotAccepted: packets that reach the listener after the
// connection they belong to was closed make kcp-go create a new one for
// the same conversation; Accept never returns it.
func TestGhostNotAccepted(t *testing.T) {
	cfg := testConfig(nil)
	cl, err := ListenConn("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c1, err := DialConn(ctx, cl.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	if _, err := c1.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	s1, err := cl.AcceptConn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	if _, err := io.ReadFull(s1, b[:]); err != nil {
		t.Fatal(err)
	}
	opens := passiveOpens()
	s1.Close()
	// c1 goes on talking to a connection that is gone: a ghost.
	if _, err := c1.Write([]byte("b")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the ghost of the closed connection", func() bool { return passiveOpens() > opens })

	c2, err := DialConn(ctx, cl.Addr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.Write([]byte("c")); err != nil {
		t.Fatal(err)
	}
	s2, err := cl.AcceptConn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, want := s2.GetConv(), c2.GetConv(); got != want {
		t.Fatalf("accepted conversation %d from %v; want the new one, %d", got, s2.RemoteAddr(), want)
	}
	if _, err := io.ReadFull(s2, b[:]); err != nil || b[0] != 'c' {
		t.Fatalf("read %q, %v; want \"c\"", b[:], err)
	}
}

// TestDialErrors: bad addresses and contexts fail Dial without leaving
// anything behind.
func TestDialErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	for _, addr := range []string{"127.0.0.1", "127.0.0.1:notaport", "[::1:1"} {
		if s, err := Dial(ctx, addr, nil); err == nil {
			s.Close()
			t.Errorf("Dial(%q) succeeded", addr)
		}
	}
	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if s, err := Dial(done, "localhost:1", nil); err == nil {
		s.Close()
		t.Error("Dial with a cancelled context succeeded")
	}
	if _, err := Dial(ctx, "127.0.0.1:1", &Config{}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Dial with a zero Config = %v; want ErrInvalidConfig", err)
	}
}

// TestAcceptContext: AcceptSession returns when its context ends.
func TestAcceptContext(t *testing.T) {
	ln, err := Listen("127.0.0.1:0", testConfig(nil))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ln.AcceptSession(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("AcceptSession with a cancelled context = %v", err)
	}
}

// openPair opens a stream on opener and accepts it on acceptor.
func openPair(t testing.TB, ctx context.Context, opener, acceptor *core.Session) (opened, accepted *core.Stream) {
	t.Helper()
	a, err := opener.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write(nil); err != nil {
		t.Fatal(err)
	}
	b, err := acceptor.AcceptStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// TestLingerGonePeer: closing a connection whose peer is gone, with data
// still unacknowledged, does not wait out the linger: the wait ends a few
// retransmission timeouts after the peer last acknowledged anything.
func TestLingerGonePeer(t *testing.T) {
	st, err := resolve(testConfig(func(c *Config) { c.Linger = time.Hour }))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := ListenConn("127.0.0.1:0", &st.Config)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	raw, err := st.dial(ctx, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close() // ends a linger that would outlive the test
	if _, err := raw.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	peer, err := ln.AcceptConn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	peer.SetReadDeadline(time.Now().Add(testTimeout))
	var b [1]byte
	if _, err := io.ReadFull(peer, b[:]); err != nil {
		t.Fatal(err)
	}
	// The peer's socket goes away, then more is written to it.
	peer.Close()
	ln.Close()
	if _, err := raw.Write(payload(1, 64<<10)); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- st.conn(raw).Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Close still lingering for a peer that is gone")
	}
}
