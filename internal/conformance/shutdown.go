package conformance

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
)

// testShutdown: a graceful Shutdown refuses new streams both ways, lets the
// open ones finish, then closes; with an expired context it returns
// ctx.Err() and closes at once.
func testShutdown(t *testing.T, mk PairMaker) {
	t.Run("Drains", func(t *testing.T) {
		client, server := mk(t)
		a, b := OpenPair(t, client, server)
		writeAll(t, a, []byte("before"))
		expectData(t, b, []byte("before"))

		done := async(func() error { return server.Shutdown(testContext(t)) })

		// The shutting-down side opens nothing new once it has begun.
		deadline := time.Now().Add(opTimeout)
		for {
			st, err := server.OpenStream(testContext(t))
			if err != nil {
				expectErr(t, err, net.ErrClosed, "server OpenStream during Shutdown")
				var ga *core.GoAwayError
				if !errors.As(err, &ga) || ga.Remote {
					t.Fatalf("server OpenStream during Shutdown: %v; want a local *core.GoAwayError", err)
				}
				break
			}
			st.Reset() // opened before Shutdown began
			if time.Now().After(deadline) {
				t.Fatal("OpenStream still succeeds long after Shutdown began")
			}
		}
		// The peer's opens are refused: with RST until its GoAway arrives,
		// then by OpenStream itself.
		for {
			st, err := client.OpenStream(testContext(t))
			if err != nil {
				var ga *core.GoAwayError
				if !errors.As(err, &ga) || !ga.Remote || ga.Code != 0 {
					t.Fatalf("client OpenStream after the peer's GoAway: %v; want *core.GoAwayError{Code: Normal, Remote: true}", err)
				}
				expectErr(t, err, net.ErrClosed, "client OpenStream after the peer's GoAway")
				break
			}
			if err := readToEnd(st); !errors.Is(err, core.ErrStreamReset) {
				t.Fatalf("stream %d opened during the peer's Shutdown: read error %v; want a reset (refused)", st.ID(), err)
			}
			if time.Now().After(deadline) {
				t.Fatal("the client can still open streams long after the server's Shutdown")
			}
		}

		// The open stream carries on both ways; Shutdown waits for it.
		writeAll(t, a, []byte("during"))
		expectData(t, b, []byte("during"))
		writeAll(t, b, []byte("reply"))
		select {
		case err := <-done:
			t.Fatalf("Shutdown returned (%v) while a stream was open", err)
		default:
		}
		if server.IsClosed() {
			t.Fatal("session closed during Shutdown while a stream was open")
		}
		expectData(t, a, []byte("reply"))
		// Last words from the shutting-down side must arrive too.
		last := Payload(13, 200_000)
		writeAll(t, b, last)
		if err := b.CloseWrite(); err != nil {
			t.Fatalf("CloseWrite: %v", err)
		}
		if err := a.CloseWrite(); err != nil {
			t.Fatalf("CloseWrite: %v", err)
		}
		expectData(t, a, last)
		expectEOF(t, a)
		expectEOF(t, b)

		if err := await(t, done, "Shutdown after the last stream finished"); err != nil {
			t.Fatalf("Shutdown = %v; want nil", err)
		}
		if !server.IsClosed() {
			t.Fatal("session still open after Shutdown returned")
		}
		expectErr(t, server.Err(), net.ErrClosed, "Err() after Shutdown")
		awaitDone(t, client, "peer after Shutdown")
	})

	t.Run("ExpiredContext", func(t *testing.T) {
		client, server := mk(t)
		a, b := OpenPair(t, client, server)
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		err := server.Shutdown(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown with an expired context = %v; want context.DeadlineExceeded", err)
		}
		if !server.IsClosed() {
			t.Fatal("session still open after Shutdown gave up")
		}
		expectErr(t, server.Err(), net.ErrClosed, "Err() after Shutdown")
		expectCutOff(t, b)
		// Its streams are reset, as by Close; with our GoAway in hand and
		// nothing open, the peer's session ends.
		awaitDone(t, client, "peer after Shutdown")
		expectCutOffByPeer(t, a)
	})

	t.Run("ContextEndsDuringWait", func(t *testing.T) {
		client, server := mk(t)
		a, b := OpenPair(t, client, server)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		err := server.Shutdown(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown whose context ends while a stream is open = %v; want context.DeadlineExceeded", err)
		}
		if !server.IsClosed() {
			t.Fatal("session still open after Shutdown gave up")
		}
		expectCutOff(t, b)
		// Its streams are reset, as by Close; with our GoAway in hand and
		// nothing open, the peer's session ends.
		awaitDone(t, client, "peer after Shutdown")
		expectCutOffByPeer(t, a)
	})
}
