package evloop_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
	"github.com/netmux/netmux/internal/conformance"
	"github.com/netmux/netmux/transport/evloop"
)

// waitDone waits, boundedly, for s to end.
func waitDone(t *testing.T, s *core.Session, what string) {
	t.Helper()
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: session still open after 10s", what)
	}
}

// TestCloseEndsSessions: closing the Listener and the Client closes every
// session they made, accepted or not, and makes Accept and Dial fail with
// ErrClosed; closing again is harmless.
func TestCloseEndsSessions(t *testing.T) {
	ln, cl := newListener(t, nil), newClient(t, nil)
	c1, s1 := gnetPair(t, ln, cl)
	ctx, cancel := context.WithTimeout(context.Background(), pairTimeout)
	defer cancel()
	c2, err := cl.Dial(ctx, ln.Addr().String()) // its server end is never accepted
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}

	accepting := make(chan error, 1)
	go func() {
		_, err := ln.Accept() // takes c2's server end
		if err == nil {
			_, err = ln.Accept() // waits until Close
		}
		accepting <- err
	}()
	if err := ln.Close(); err != nil {
		t.Fatalf("Listener.Close: %v", err)
	}
	if err := <-accepting; !errors.Is(err, evloop.ErrClosed) {
		t.Errorf("Accept during Close: %v, want ErrClosed", err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
	}
	waitDone(t, s1, "accepted server session")
	waitDone(t, c1, "client of an accepted session")
	waitDone(t, c2, "client of an unaccepted session")
	if n := ln.NumSessions(); n != 0 {
		t.Errorf("Listener.NumSessions after Close = %d", n)
	}
	if err := ln.Close(); err != nil {
		t.Errorf("second Listener.Close: %v", err)
	}

	if err := cl.Close(); err != nil {
		t.Fatalf("Client.Close: %v", err)
	}
	if _, err := cl.Dial(ctx, ln.Addr().String()); !errors.Is(err, evloop.ErrClosed) {
		t.Errorf("Dial after Close: %v, want ErrClosed", err)
	}
	if err := cl.Close(); err != nil {
		t.Errorf("second Client.Close: %v", err)
	}
}

// TestClientCloseEndsSessions: closing a Client closes its sessions; the
// server ends see the connection go.
func TestClientCloseEndsSessions(t *testing.T) {
	ln := newListener(t, nil)
	cl, err := evloop.NewClient(nil)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	c, s := gnetPair(t, ln, cl)
	if err := cl.Close(); err != nil {
		t.Fatalf("Client.Close: %v", err)
	}
	waitDone(t, c, "client session")
	waitDone(t, s, "server session")
	if n := cl.NumSessions(); n != 0 {
		t.Errorf("Client.NumSessions after Close = %d", n)
	}
}

// TestAcceptBacklogFull: a connection arriving while AcceptBacklog
// sessions wait for Accept is closed at once; the waiting ones are intact.
func TestAcceptBacklogFull(t *testing.T) {
	cfg := evloop.DefaultConfig()
	cfg.AcceptBacklog = 1
	ln := newListener(t, cfg)
	cl := newClient(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), pairTimeout)
	defer cancel()
	first, err := cl.Dial(ctx, ln.Addr().String())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer first.Close()
	second, err := cl.Dial(ctx, ln.Addr().String())
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	waitDone(t, second, "session refused for a full backlog")
	s := acceptFrom(t, ln, first.LocalAddr())
	defer s.Close()
	a, b := conformance.OpenPair(t, first, s)
	if _, err := a.Write([]byte("hello")); err != nil {
		t.Fatalf("Write: %v", err)
	}
	buf := make([]byte, 5)
	b.SetReadDeadline(time.Now().Add(pairTimeout))
	if _, err := b.Read(buf); err != nil || string(buf) != "hello" {
		t.Fatalf("Read = %q, %v", buf, err)
	}
}

// TestUnixSocket: both ends on event loops over a unix socket.
func TestUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mux.sock")
	ln, err := evloop.Listen("unix://"+path, nil)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer ln.Close()
	if got := ln.Addr().String(); got != path {
		t.Errorf("Addr = %q, want %q", got, path)
	}
	cl := newClient(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), pairTimeout)
	defer cancel()
	c, err := cl.Dial(ctx, "unix://"+path)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	defer c.Close()
	s, err := ln.AcceptSession(ctx)
	if err != nil {
		t.Fatalf("AcceptSession: %v", err)
	}
	defer s.Close()
	if _, err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// TestDialErrors: Dial honours its context and reports connection errors.
func TestDialErrors(t *testing.T) {
	cl := newClient(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := cl.Dial(ctx, "127.0.0.1:1"); !errors.Is(err, context.Canceled) {
		t.Errorf("Dial with a cancelled context: %v", err)
	}
	// A port nobody listens on: the listener is closed right away.
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := nl.Addr().String()
	nl.Close()
	ctx, cancel = context.WithTimeout(context.Background(), pairTimeout)
	defer cancel()
	if _, err := cl.Dial(ctx, addr); err == nil {
		t.Error("Dial to a closed port succeeded")
	}
	if _, err := cl.Dial(ctx, "udp://127.0.0.1:9"); err == nil {
		t.Error("Dial over udp succeeded")
	}
}

// TestInvalidConfig: nonsense settings are errors, not panics; as in
// core, a zero field is not its default, so an empty Config is rejected.
func TestInvalidConfig(t *testing.T) {
	badSession := core.DefaultConfig()
	badSession.MaxFrameSize = 1
	for name, mutate := range map[string]func(*evloop.Config){
		"negative EventLoops":    func(c *evloop.Config) { c.EventLoops = -1 },
		"negative ReadBufferCap": func(c *evloop.Config) { c.ReadBufferCap = -1 },
		"zero AcceptBacklog":     func(c *evloop.Config) { c.AcceptBacklog = 0 },
		"invalid Session":        func(c *evloop.Config) { c.Session = badSession },
		"empty Config":           func(c *evloop.Config) { *c = evloop.Config{} },
	} {
		cfg := evloop.DefaultConfig()
		mutate(cfg)
		if err := cfg.Validate(); !errors.Is(err, core.ErrInvalidConfig) {
			t.Errorf("%s: Validate = %v, want ErrInvalidConfig", name, err)
		}
		if ln, err := evloop.Listen("127.0.0.1:0", cfg); !errors.Is(err, core.ErrInvalidConfig) {
			if ln != nil {
				ln.Close()
			}
			t.Errorf("%s: Listen = %v, want ErrInvalidConfig", name, err)
		}
		if cl, err := evloop.NewClient(cfg); !errors.Is(err, core.ErrInvalidConfig) {
			if cl != nil {
				cl.Close()
			}
			t.Errorf("%s: NewClient = %v, want ErrInvalidConfig", name, err)
		}
	}
	if _, err := evloop.Listen("ftp://127.0.0.1:0", nil); err == nil {
		t.Error("Listen on an ftp address succeeded")
	}
}

// TestListenAddressInUse: a port already taken is Listen's error, and
// nothing is left running.
func TestListenAddressInUse(t *testing.T) {
	nl := newTCPListener(t)
	if ln, err := evloop.Listen(nl.Addr().String(), nil); err == nil {
		ln.Close()
		t.Fatal("Listen on a port in use succeeded")
	}
}

// TestKeepAliveTimeout: keepalive runs on timers under the event-loop
// driver too: a peer that goes silent ends the session with
// GoAway(Timeout).
func TestKeepAliveTimeout(t *testing.T) {
	sc := core.DefaultConfig()
	sc.KeepAliveInterval = 20 * time.Millisecond
	sc.KeepAliveTimeout = 100 * time.Millisecond
	ln := newListener(t, sessionConfig(sc))
	s := stalledPeer(t, ln)
	waitDone(t, s, "session with a silent peer")
	var ga *core.GoAwayError
	if err := s.Err(); !errors.As(err, &ga) || ga.Code != frame.CodeTimeout || ga.Remote {
		t.Fatalf("session ended with %v; want GoAway(Timeout) sent", err)
	}
}

// TestKeepAliveMeasuresRTT: with keepalive on, both ends of a live pair
// learn the round-trip time and stay up.
func TestKeepAliveMeasuresRTT(t *testing.T) {
	sc := core.DefaultConfig()
	sc.KeepAliveInterval = 10 * time.Millisecond
	sc.KeepAliveTimeout = time.Second
	cfg := sessionConfig(sc)
	c, s := gnetPair(t, newListener(t, cfg), newClient(t, cfg))
	ctx, cancel := context.WithTimeout(context.Background(), pairTimeout)
	defer cancel()
	for _, sess := range []*core.Session{c, s} {
		if _, err := sess.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		if sess.RTT() <= 0 {
			t.Errorf("RTT = %v after a ping", sess.RTT())
		}
	}
	select {
	case <-c.Done():
		t.Fatalf("client session ended: %v", c.Err())
	case <-s.Done():
		t.Fatalf("server session ended: %v", s.Err())
	case <-time.After(200 * time.Millisecond): // twenty keepalive rounds
	}
}
