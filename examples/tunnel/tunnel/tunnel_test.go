package tunnel_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netmux/netmux/examples/internal/transports"
	"github.com/netmux/netmux/examples/tunnel/tunnel"
)

// TestTransfers moves checksummed data both ways through the tunnel over
// every transport, on concurrent connections, with the FIN passed on in
// both orders: the user half-closes first and still reads the whole
// response, or the service half-closes first and still reads the request.
func TestTransfers(t *testing.T) {
	sizes := []int64{0, 1, 100 << 10, 1 << 20}
	for _, name := range transports.Names() {
		t.Run(name, func(t *testing.T) {
			svc := startService(t)
			r := startRig(t, name, svc.addr())
			var wg sync.WaitGroup
			for i := range 2 * len(sizes) {
				x := transfer{
					responseFirst: i%2 == 1,
					reqSeed:       uint64(2 * i),
					reqLen:        sizes[i/2],
					respSeed:      uint64(2*i + 1),
					respLen:       sizes[len(sizes)-1-i/2],
				}
				c := r.dial(t)
				wg.Go(func() {
					if err := x.run(c); err != nil {
						t.Errorf("%+v: %v", x, err)
					}
				})
			}
			wg.Wait()
		})
	}
}

// TestReconnect drops the tunnel from the server side and checks that the
// client comes back and traffic flows again.
func TestReconnect(t *testing.T) {
	svc := startService(t)
	r := startRig(t, "tcp", svc.addr())
	x := transfer{reqSeed: 1, reqLen: 10 << 10, respSeed: 2, respLen: 300 << 10}
	for round := range 3 {
		if err := x.run(r.dial(t)); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		sess := <-r.sessions
		sess.Close()
	}
	// The last transfer needs the client to have reconnected once more.
	if err := x.run(r.dial(t)); err != nil {
		t.Fatalf("after reconnecting: %v", err)
	}
}

// TestLocalServiceDown checks that a user whose connection the tunnel
// client cannot forward sees it cut off, and that the tunnel stays up.
func TestLocalServiceDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	r := startRig(t, "tcp", dead)
	for range 2 {
		assertCutOff(t, r.public)
	}
	select {
	case sess := <-r.sessions:
		if sess.IsClosed() {
			t.Fatalf("tunnel session ended: %v", sess.Err())
		}
	default:
		t.Fatal("no tunnel session recorded")
	}
}

// TestNoTunnel checks that a public connection is dropped, not left
// hanging, when no tunnel client is connected.
func TestNoTunnel(t *testing.T) {
	tunnels, err := transports.Listen("tcp", "127.0.0.1:0", transports.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &tunnel.Server{Tunnels: tunnels, Public: pub, WaitTunnel: 20 * time.Millisecond, Logger: discard()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() {
		cancel()
		wait(t, "Serve", done)
	}()
	assertCutOff(t, pub.Addr().String())
}

// TestGracefulShutdown stops the server while a transfer is in flight: new
// users are turned away, the transfer completes intact, and Serve returns.
func TestGracefulShutdown(t *testing.T) {
	svc := startService(t)
	svc.hold = make(chan struct{})
	r := startRig(t, "tcp", svc.addr())
	x := transfer{reqSeed: 5, reqLen: 64 << 10, respSeed: 6, respLen: 2 << 20}
	c := r.dial(t)
	result := make(chan error, 1)
	go func() { result <- x.run(c) }()
	select {
	case <-svc.arrived:
	case <-time.After(testTimeout):
		t.Fatal("the service never saw the connection")
	}

	r.stopSrv()
	// From now on a new user is refused or cut off, never served.
	assertCutOff(t, r.public)
	select {
	case err := <-r.srvDone:
		t.Fatalf("Serve returned %v before the open transfer finished", err)
	default:
	}

	close(svc.hold)
	if err := <-result; err != nil {
		t.Fatalf("transfer across shutdown: %v", err)
	}
	r.stopServer(t)
}

// assertCutOff checks that a user connecting to addr is refused or reset
// without receiving a byte. The reset may even beat connect's completion on
// loopback.
func assertCutOff(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("dial: %v; want a refusal or a reset", err)
		}
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	if n, err := io.Copy(io.Discard, c); n != 0 || !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read %d bytes, err %v; want 0 bytes and a reset", n, err)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
