package conformance

import (
	"testing"
	"time"
)

// testDeadlines: read and write deadlines in the past fail at once, in the
// future interrupt blocked calls no earlier than the deadline, and cleared
// ones let I/O proceed; the errors are os.ErrDeadlineExceeded and
// net.Error timeouts.
func testDeadlines(t *testing.T, mk PairMaker) {
	client, server := mk(t)
	a, b := OpenPair(t, client, server)
	var buf [64]byte

	t.Run("ReadPast", func(t *testing.T) {
		b.SetReadDeadline(time.Now().Add(-time.Second))
		for range 2 {
			n, err := b.Read(buf[:])
			if n != 0 {
				t.Fatalf("Read past the deadline = %d bytes", n)
			}
			expectTimeout(t, err, "Read past the deadline")
		}
	})

	t.Run("ReadFuture", func(t *testing.T) {
		at := time.Now().Add(30 * time.Millisecond)
		b.SetReadDeadline(at)
		n, err := b.Read(buf[:])
		if n != 0 {
			t.Fatalf("Read = %d bytes; nothing was sent", n)
		}
		expectTimeout(t, err, "blocked Read")
		if now := time.Now(); now.Before(at) {
			t.Fatalf("Read timed out %v before its deadline", at.Sub(now))
		}
	})

	t.Run("ReadDeadlineMovedWhileBlocked", func(t *testing.T) {
		b.SetReadDeadline(time.Now().Add(time.Hour))
		rd := async(func() error {
			_, err := b.Read(buf[:])
			return err
		})
		b.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		expectTimeout(t, await(t, rd, "Read after its deadline moved closer"), "blocked Read")
	})

	t.Run("ReadCleared", func(t *testing.T) {
		b.SetReadDeadline(time.Time{})
		writeAll(t, a, []byte("after clearing"))
		// No deadline is set on this Read: the data is on its way. The
		// timer resets the stream only if it never arrives.
		guard := time.AfterFunc(opTimeout, func() { b.Reset() })
		defer guard.Stop()
		got := make([]byte, len("after clearing"))
		if _, err := readFull(b, got); err != nil {
			t.Fatalf("Read after clearing the deadline: %v", err)
		}
		if err := compare(got, []byte("after clearing")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("WritePast", func(t *testing.T) {
		a.SetWriteDeadline(time.Now().Add(-time.Second))
		n, err := a.Write([]byte("never"))
		if n != 0 {
			t.Fatalf("Write past the deadline = %d bytes", n)
		}
		expectTimeout(t, err, "Write past the deadline")
		a.SetWriteDeadline(time.Time{})
		writeAll(t, a, []byte("cleared"))
		expectData(t, b, []byte("cleared"))
	})

	t.Run("WriteFuture", func(t *testing.T) {
		c, d := OpenPair(t, client, server)
		// d does not read yet: c's Write fills the window and blocks.
		big := Payload(11, 2<<20)
		at := time.Now().Add(50 * time.Millisecond)
		c.SetWriteDeadline(at)
		n, err := c.Write(big)
		expectTimeout(t, err, "Write blocked on flow control")
		if now := time.Now(); now.Before(at) {
			t.Fatalf("Write timed out %v before its deadline", at.Sub(now))
		}
		if n <= 0 || n >= len(big) {
			t.Fatalf("timed-out Write reported %d bytes queued of %d", n, len(big))
		}
		// Cleared, writing resumes once d reads; d gets exactly the n bytes
		// the timed-out Write reported, then the new ones.
		c.SetWriteDeadline(time.Time{})
		tail := []byte("tail after the timeout")
		rd := async(func() error {
			d.SetReadDeadline(time.Now().Add(opTimeout))
			got := make([]byte, n+len(tail))
			if _, err := readFull(d, got); err != nil {
				return err
			}
			return compare(got, append(big[:n:n], tail...))
		})
		guard := time.AfterFunc(opTimeout, func() { c.Reset() })
		defer guard.Stop()
		if k, err := c.Write(tail); k != len(tail) || err != nil {
			t.Fatalf("Write after clearing the deadline = %d, %v", k, err)
		}
		if err := await(t, rd, "reading the data written around the timeout"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("SetDeadline", func(t *testing.T) {
		a.SetDeadline(time.Now().Add(-time.Second))
		_, err := a.Read(buf[:])
		expectTimeout(t, err, "Read after SetDeadline in the past")
		_, err = a.Write([]byte("x"))
		expectTimeout(t, err, "Write after SetDeadline in the past")
		a.SetDeadline(time.Time{})
		writeAll(t, a, []byte("ping"))
		expectData(t, b, []byte("ping"))
		writeAll(t, b, []byte("pong"))
		expectData(t, a, []byte("pong"))
	})
}
