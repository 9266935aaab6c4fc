package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
)

// testReset: RST ends both directions on both sides at once, wakes blocked
// readers and writers, and drops data the reader had not read yet.
func testReset(t *testing.T, mk PairMaker) {
	client, server := mk(t)
	expectReset := func(t *testing.T, st *core.Stream, who string) {
		t.Helper()
		st.SetDeadline(time.Now().Add(opTimeout))
		var b [8]byte
		if n, err := st.Read(b[:]); n != 0 {
			t.Fatalf("%s: Read after reset = %d bytes", who, n)
		} else {
			expectErr(t, err, core.ErrStreamReset, who+": Read after reset")
		}
		if n, err := st.Write([]byte("x")); n != 0 {
			t.Fatalf("%s: Write after reset = %d bytes", who, n)
		} else {
			expectErr(t, err, core.ErrStreamReset, who+": Write after reset")
		}
	}

	t.Run("WakesBlockedReader", func(t *testing.T) {
		a, b := OpenPair(t, client, server)
		b.SetReadDeadline(time.Now().Add(opTimeout))
		rd := async(func() error {
			var p [8]byte
			_, err := b.Read(p[:])
			return err
		})
		if err := a.Reset(); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		expectErr(t, await(t, rd, "Read blocked when the peer reset"), core.ErrStreamReset, "blocked Read")
		expectReset(t, a, "resetting side")
		expectReset(t, b, "peer")
	})

	t.Run("WakesBlockedWriter", func(t *testing.T) {
		a, b := OpenPair(t, client, server)
		// b never reads: a's Write fills the window and waits for credit.
		big := Payload(3, 4<<20)
		a.SetWriteDeadline(time.Now().Add(opTimeout))
		wr := async(func() error {
			n, err := a.Write(big)
			if err == nil {
				return fmt.Errorf("a 4 MiB write to a stream nobody reads completed (%d bytes)", n)
			}
			return err
		})
		// Wait until some of it has arrived, so the writer is under way.
		b.SetReadDeadline(time.Now().Add(opTimeout))
		var first [1]byte
		if _, err := b.Read(first[:]); err != nil {
			t.Fatalf("Read: %v", err)
		}
		if err := b.Reset(); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		expectErr(t, await(t, wr, "Write blocked when the peer reset"), core.ErrStreamReset, "blocked Write")
		expectReset(t, a, "peer")
		expectReset(t, b, "resetting side")
	})

	t.Run("DropsUnreadData", func(t *testing.T) {
		a, b := OpenPair(t, client, server)
		c, d := OpenPair(t, client, server)
		// One session's frames arrive in order: once the barrier written
		// after it arrives, "unread" is in b's buffer; once the second
		// barrier arrives, so has the RST (control frames go first).
		writeAll(t, a, []byte("unread"))
		writeAll(t, c, []byte("barrier1"))
		expectData(t, d, []byte("barrier1"))
		a.Reset()
		writeAll(t, c, []byte("barrier2"))
		expectData(t, d, []byte("barrier2"))
		expectReset(t, b, "receiver of RST with unread data")
	})

	t.Run("ByAcceptor", func(t *testing.T) {
		a, b := OpenPair(t, client, server)
		writeAll(t, a, []byte("hello"))
		expectData(t, b, []byte("hello"))
		if err := b.Reset(); err != nil {
			t.Fatalf("Reset: %v", err)
		}
		expectReset(t, b, "resetting side")
		expectReset(t, a, "opener")
	})
}
