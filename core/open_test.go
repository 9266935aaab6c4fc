package core_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/netmux/netmux/core"
)

// Openers blocked at MaxStreams and at AcceptBacklog all return as soon as
// their condition can have changed: with 8 streams allowed, 2 opens
// unacknowledged at a time and 20 concurrent OpenStream calls against a
// peer that accepts and holds every stream, each round of resets lets the
// next ones through, and Open (which cannot be cancelled) fails at the
// limit instead of waiting. A single lost wake-up leaves a call blocked.
func TestOpenWaitersAllReturn(t *testing.T) {
	const maxStreams, openers = 8, 20
	cfg := core.DefaultConfig()
	cfg.MaxStreams = maxStreams
	cfg.AcceptBacklog = 2
	c1, c2 := net.Pipe()
	client, server := startPair(t, c1, c2, cfg)
	go func() { // accept and hold every stream
		for {
			if _, err := server.AcceptStream(context.Background()); err != nil {
				return
			}
		}
	}()

	ctx, cancel := contextFor(rawTimeout)
	defer cancel()
	opened := make(chan *core.Stream, openers)
	failed := make(chan error, openers)
	for range openers {
		go func() {
			st, err := client.OpenStream(ctx)
			if err != nil {
				failed <- err
				return
			}
			st.Write([]byte("x")) // the SYN goes out; the peer acknowledges
			opened <- st
		}()
	}
	for got := 0; got < openers; {
		var batch []*core.Stream
		for len(batch) < min(maxStreams, openers-got) {
			select {
			case st := <-opened:
				batch = append(batch, st)
			case err := <-failed:
				t.Fatalf("OpenStream after %d streams: %v", got+len(batch), err)
			}
		}
		if got+len(batch) < openers {
			// The table is full and openers are waiting: Open fails.
			if _, err := client.Open(); !errors.Is(err, core.ErrTooManyStreams) {
				t.Fatalf("Open at MaxStreams: %v; want ErrTooManyStreams", err)
			}
		}
		for _, st := range batch {
			st.Reset()
		}
		got += len(batch)
	}
}
