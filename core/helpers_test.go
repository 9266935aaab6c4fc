package core_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
)

// contextFor returns a context that ends after d.
func contextFor(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// readN reads exactly n bytes from st within rawTimeout.
func readN(t *testing.T, st *core.Stream, n int) []byte {
	t.Helper()
	st.SetReadDeadline(time.Now().Add(rawTimeout))
	defer st.SetReadDeadline(time.Time{})
	b := make([]byte, n)
	if k, err := io.ReadFull(st, b); err != nil {
		t.Fatalf("stream %d: read %d of %d bytes: %v", st.ID(), k, n, err)
	}
	return b
}

// expectRead checks that st yields exactly want next.
func expectRead(t *testing.T, st *core.Stream, want string) {
	t.Helper()
	if got := readN(t, st, len(want)); string(got) != want {
		t.Fatalf("stream %d: read %q; want %q", st.ID(), got, want)
	}
}

// readErr reads st until an error (bounded by rawTimeout) and returns it;
// a clean end is io.EOF.
func readErr(st *core.Stream) error {
	st.SetReadDeadline(time.Now().Add(rawTimeout))
	_, err := io.Copy(io.Discard, st)
	if err == nil {
		return io.EOF
	}
	return err
}

// write writes p on st within rawTimeout.
func write(t *testing.T, st *core.Stream, p string) {
	t.Helper()
	st.SetWriteDeadline(time.Now().Add(rawTimeout))
	defer st.SetWriteDeadline(time.Time{})
	if n, err := st.Write([]byte(p)); err != nil || n != len(p) {
		t.Fatalf("stream %d: Write = %d, %v", st.ID(), n, err)
	}
}

// awaitNumStreams waits, at most rawTimeout, until s counts n streams: for
// removals made on another goroutine (a timer) than the one the test can
// synchronise with.
func awaitNumStreams(t *testing.T, s *core.Session, n int) {
	t.Helper()
	deadline := time.Now().Add(rawTimeout)
	for s.NumStreams() != n {
		if time.Now().After(deadline) {
			t.Fatalf("NumStreams = %d; want %d", s.NumStreams(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
