package conformance

import (
	"testing"
	"time"

	"github.com/netmux/netmux/core"
)

// testOpenAcceptEcho: either side opens, the other accepts, bytes go both
// ways; ids follow the parity rule (client 1, 3, 5…, server 2, 4, 6…).
func testOpenAcceptEcho(t *testing.T, mk PairMaker) {
	client, server := mk(t)
	cases := []struct {
		name             string
		opener, acceptor *core.Session
		firstID          uint32
	}{
		{"ClientOpens", client, server, 1},
		{"ServerOpens", server, client, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for i := range 3 {
				a, b := OpenPair(t, c.opener, c.acceptor)
				if want := c.firstID + 2*uint32(i); a.ID() != want {
					t.Errorf("stream %d opened; want id %d", a.ID(), want)
				}
				req, resp := Payload(uint64(2*i), 1000+i), Payload(uint64(2*i+1), 3000+i)
				writeAll(t, a, req)
				expectData(t, b, req)
				writeAll(t, b, resp)
				expectData(t, a, resp)
				a.Close()
				b.Close()
			}
		})
	}
}

// testOpenWithoutRoundTrip: OpenStream and the first Write return before
// the peer has accepted (so before any reply could come back), and the
// accepting side then reads what was written.
func testOpenWithoutRoundTrip(t *testing.T, mk PairMaker) {
	client, server := mk(t)
	for _, c := range []struct {
		name             string
		opener, acceptor *core.Session
	}{{"ClientOpens", client, server}, {"ServerOpens", server, client}} {
		t.Run(c.name, func(t *testing.T) {
			// The acceptor answers a SYN only once its application accepts,
			// which happens below: nothing here may wait for the peer.
			st, err := c.opener.OpenStream(cancelled())
			if err != nil {
				t.Fatalf("OpenStream with a done context: %v", err)
			}
			msg := Payload(7, 5000)
			st.SetWriteDeadline(time.Now().Add(opTimeout))
			if n, err := st.Write(msg); n != len(msg) || err != nil {
				t.Fatalf("Write right after Open = %d, %v", n, err)
			}
			if err := st.CloseWrite(); err != nil {
				t.Fatalf("CloseWrite: %v", err)
			}
			acc, err := c.acceptor.AcceptStream(testContext(t))
			if err != nil {
				t.Fatalf("AcceptStream: %v", err)
			}
			if acc.ID() != st.ID() {
				t.Fatalf("accepted stream %d; opened %d", acc.ID(), st.ID())
			}
			expectData(t, acc, msg)
			expectEOF(t, acc)
			acc.Close()
			st.Close()
		})
	}
}
