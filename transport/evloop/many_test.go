package evloop_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/internal/conformance"
	"github.com/netmux/netmux/transport/evloop"
)

// TestManySessions runs 2,000 sessions at once on one Listener and one
// Client (both ends on event loops, two loops each). Every session opens a
// few streams; the server echoes each one and the client checks the
// checksum of what comes back. Then everything closes and TestMain checks
// that no goroutine is left.
func TestManySessions(t *testing.T) {
	const (
		sessions    = 2000
		streams     = 3
		size        = 8 << 10
		dialsAtOnce = 64 // stays well inside the kernel's listen backlog
	)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := evloop.DefaultConfig()
	cfg.EventLoops = 2
	ln, cl := newListener(t, cfg), newClient(t, cfg)

	var servers sync.WaitGroup
	serverErrs := make(chan error, sessions)
	servers.Add(1)
	go func() { // accepts sessions; one goroutine per session echoes its streams
		defer servers.Done()
		for range sessions {
			s, err := ln.AcceptSession(ctx)
			if err != nil {
				serverErrs <- fmt.Errorf("AcceptSession: %w", err)
				return
			}
			servers.Add(1)
			go func() {
				defer servers.Done()
				serverErrs <- echoStreams(ctx, s, streams)
			}()
		}
	}()

	var clients sync.WaitGroup
	clientErrs := make(chan error, sessions)
	slots := make(chan struct{}, dialsAtOnce)
	for i := range sessions {
		clients.Add(1)
		go func() {
			defer clients.Done()
			slots <- struct{}{}
			s, err := cl.Dial(ctx, ln.Addr().String())
			<-slots
			if err != nil {
				clientErrs <- fmt.Errorf("Dial: %w", err)
				return
			}
			defer s.Close()
			clientErrs <- sendAndCheck(ctx, s, uint64(i), streams, size)
		}()
	}
	clients.Wait()
	close(clientErrs)
	for err := range clientErrs {
		if err != nil {
			t.Fatal(err)
		}
	}
	servers.Wait()
	close(serverErrs)
	for err := range serverErrs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.Close(); err != nil {
		t.Fatalf("Client.Close: %v", err)
	}
	if err := ln.Close(); err != nil {
		t.Fatalf("Listener.Close: %v", err)
	}
	if n := ln.NumSessions() + cl.NumSessions(); n != 0 {
		t.Fatalf("%d sessions still open after Close", n)
	}
}

// sendAndCheck opens n streams on s, writes a seeded payload of size bytes
// on each and half-closes it, then reads the echo of each and compares
// checksums.
func sendAndCheck(ctx context.Context, s *core.Session, seed uint64, n, size int) error {
	sts := make([]*core.Stream, n)
	for i := range sts {
		st, err := s.OpenStream(ctx)
		if err != nil {
			return fmt.Errorf("OpenStream: %w", err)
		}
		defer st.Close()
		deadline, _ := ctx.Deadline()
		st.SetDeadline(deadline)
		if _, err := st.Write(conformance.Payload(seed*16+uint64(i), size)); err != nil {
			return fmt.Errorf("Write: %w", err)
		}
		if err := st.CloseWrite(); err != nil {
			return fmt.Errorf("CloseWrite: %w", err)
		}
		sts[i] = st
	}
	for i, st := range sts {
		h := conformance.NewChecksum()
		got, err := io.Copy(h, st)
		if err != nil {
			return fmt.Errorf("session %d stream %d: reading the echo: %w", seed, st.ID(), err)
		}
		want := conformance.Checksum(conformance.Payload(seed*16+uint64(i), size))
		if got != int64(size) || h.Sum64() != want {
			return fmt.Errorf("session %d stream %d: echo of %d bytes, checksum %x; want %d bytes, %x",
				seed, st.ID(), got, h.Sum64(), size, want)
		}
	}
	return nil
}

// echoStreams accepts n streams on s and echoes each until the peer's FIN,
// one after another, then waits for the peer to close the session.
func echoStreams(ctx context.Context, s *core.Session, n int) error {
	defer s.Close()
	for range n {
		st, err := s.AcceptStream(ctx)
		if err != nil {
			return fmt.Errorf("AcceptStream: %w", err)
		}
		deadline, _ := ctx.Deadline()
		st.SetDeadline(deadline)
		if _, err := io.Copy(st, st); err != nil {
			st.Close()
			return fmt.Errorf("echo: %w", err)
		}
		st.CloseWrite()
		st.Close()
	}
	select {
	case <-s.Done():
		if err := s.Err(); !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("session ended with %v", err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
