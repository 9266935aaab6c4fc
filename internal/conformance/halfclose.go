package conformance

import (
	"net"
	"testing"
)

// testHalfClose: after CloseWrite the peer reads io.EOF (again and again),
// our own writes fail, and the other direction still carries data.
func testHalfClose(t *testing.T, mk PairMaker) {
	client, server := mk(t)
	a, b := OpenPair(t, client, server)
	req, resp := Payload(1, 100_000), Payload(2, 100_000)

	writeAll(t, a, req)
	if err := a.CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	if err := a.CloseWrite(); err != nil {
		t.Fatalf("second CloseWrite: %v", err)
	}
	if n, err := a.Write([]byte("late")); n != 0 {
		t.Fatalf("Write after CloseWrite = %d, %v; want 0 and an error", n, err)
	} else {
		expectErr(t, err, net.ErrClosed, "Write after CloseWrite")
	}
	expectData(t, b, req)
	expectEOF(t, b)
	expectEOF(t, b)

	// The peer's direction is still open.
	writeAll(t, b, resp)
	expectData(t, a, resp)
	if err := b.CloseWrite(); err != nil {
		t.Fatalf("peer CloseWrite: %v", err)
	}
	expectEOF(t, a)
}
