package conformance

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
)

// testSessionClose: Close unblocks every pending Accept, Read, Write and
// Open with errors matching net.ErrClosed; streams cut off read an error,
// never io.EOF, on both sides; Close is idempotent and Err explains.
func testSessionClose(t *testing.T, mk PairMaker) {
	client, server := mk(t)
	if err := server.Err(); err != nil {
		t.Fatalf("Err() of a running session = %v", err)
	}
	if server.IsClosed() {
		t.Fatal("IsClosed() of a running session = true")
	}
	a, b := OpenPair(t, client, server) // b: a Read waits on it
	c, d := OpenPair(t, client, server) // d: a Write waits for credit (c never reads)

	wr := async(func() error {
		d.SetWriteDeadline(time.Now().Add(opTimeout))
		_, err := d.Write(Payload(5, 2<<20))
		return err
	})
	// Make sure d has filled its window before the session closes.
	c.SetReadDeadline(time.Now().Add(opTimeout))
	var first [1]byte
	if _, err := c.Read(first[:]); err != nil {
		t.Fatalf("Read: %v", err)
	}

	// Open streams the client does not accept until OpenStream has to wait
	// for acknowledgements (AcceptBacklog of them).
	for n := 0; ; n++ {
		_, err := server.OpenStream(cancelled())
		if errors.Is(err, context.Canceled) {
			break
		}
		if err != nil {
			t.Fatalf("OpenStream #%d: %v", n, err)
		}
		if n > 1<<16 {
			t.Fatal("OpenStream never waits for unacknowledged opens")
		}
	}

	rd := async(func() error {
		b.SetReadDeadline(time.Now().Add(opTimeout))
		_, err := b.Read(first[:])
		return err
	})
	acc := async(func() error {
		_, err := server.AcceptStream(testContext(t))
		return err
	})
	op := async(func() error {
		_, err := server.OpenStream(testContext(t))
		return err
	})

	if err := server.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := server.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if !server.IsClosed() {
		t.Fatal("IsClosed() after Close = false")
	}
	select {
	case <-server.Done():
	default:
		t.Fatal("Done() not closed after Close returned")
	}

	expectErr(t, await(t, acc, "pending AcceptStream"), net.ErrClosed, "pending AcceptStream")
	expectErr(t, await(t, op, "pending OpenStream"), net.ErrClosed, "pending OpenStream")
	expectErr(t, await(t, wr, "pending Write"), net.ErrClosed, "pending Write")
	readErr := await(t, rd, "pending Read")
	expectErr(t, readErr, net.ErrClosed, "pending Read")
	if readErr == io.EOF {
		t.Fatalf("pending Read of a stream cut off by Close = %v; must not be io.EOF", readErr)
	}

	err := server.Err()
	expectErr(t, err, net.ErrClosed, "Err() after Close")
	expectErr(t, err, core.ErrSessionClosed, "Err() after Close")
	_, err = server.OpenStream(testContext(t))
	expectErr(t, err, net.ErrClosed, "OpenStream after Close")
	_, err = server.AcceptStream(testContext(t))
	expectErr(t, err, net.ErrClosed, "AcceptStream after Close")
	_, err = b.Write([]byte("x"))
	expectErr(t, err, net.ErrClosed, "Write after Close")

	// The peer sees the end too: its streams are reset (Close sends RST
	// for each, then GoAway), not finished, and its session ends.
	awaitDone(t, client, "peer of a closed session")
	expectErr(t, client.Err(), net.ErrClosed, "peer's Err()")
	expectCutOffByPeer(t, a)
	expectCutOffByPeer(t, c)
	// The client still holds unaccepted streams in its backlog; an ended
	// session accepts none of them.
	for range 8 {
		st, err := client.AcceptStream(testContext(t))
		if err == nil {
			t.Fatalf("AcceptStream on an ended session returned stream %d", st.ID())
		}
		expectErr(t, err, net.ErrClosed, "AcceptStream on an ended session")
	}
}
