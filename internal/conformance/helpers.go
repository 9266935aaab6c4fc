package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
)

// opTimeout bounds any single wait of the suite. A working transport never
// gets near it; it only turns a hang into a failure.
const opTimeout = 10 * time.Second

// OpenPair opens a stream on opener and accepts it on acceptor, failing t
// if either step fails or takes longer than a few seconds. Call it from the
// test's goroutine.
func OpenPair(t testing.TB, opener, acceptor *core.Session) (opened, accepted *core.Stream) {
	t.Helper()
	a, b, err := openPair(testContext(t), opener, acceptor)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// openPair is OpenPair for callers that cannot fail a test themselves.
func openPair(ctx context.Context, opener, acceptor *core.Session) (*core.Stream, *core.Stream, error) {
	a, err := opener.OpenStream(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("OpenStream: %w", err)
	}
	b, err := acceptor.AcceptStream(ctx)
	if err != nil {
		a.Close()
		return nil, nil, fmt.Errorf("AcceptStream: %w", err)
	}
	if a.ID() != b.ID() {
		a.Close()
		b.Close()
		return nil, nil, fmt.Errorf("accepted stream %d, opened %d", b.ID(), a.ID())
	}
	return a, b, nil
}

// testContext returns a context that ends after opTimeout or with the test.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

// cancelled returns a context that is already done: OpenStream with it
// returns at once, ctx.Err() if it would have had to wait.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// async runs fn on a new goroutine; its result arrives on the returned
// channel, which never blocks the goroutine.
func async(fn func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- fn() }()
	return ch
}

// await returns the result of an async call, failing t if none arrives
// within opTimeout.
func await(t testing.TB, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(opTimeout):
		t.Fatalf("%s: still blocked after %v", what, opTimeout)
		return nil
	}
}

// awaitDone fails t unless s ends within opTimeout.
func awaitDone(t testing.TB, s *core.Session, what string) {
	t.Helper()
	select {
	case <-s.Done():
	case <-time.After(opTimeout):
		t.Fatalf("%s: session still running after %v", what, opTimeout)
	}
}

// writeAll writes p to st within opTimeout.
func writeAll(t testing.TB, st *core.Stream, p []byte) {
	t.Helper()
	st.SetWriteDeadline(time.Now().Add(opTimeout))
	defer st.SetWriteDeadline(time.Time{})
	if n, err := st.Write(p); err != nil || n != len(p) {
		t.Fatalf("stream %d: Write(%d bytes) = %d, %v", st.ID(), len(p), n, err)
	}
}

// expectData reads exactly len(want) bytes from st and compares them.
func expectData(t testing.TB, st *core.Stream, want []byte) {
	t.Helper()
	st.SetReadDeadline(time.Now().Add(opTimeout))
	defer st.SetReadDeadline(time.Time{})
	got := make([]byte, len(want))
	if n, err := io.ReadFull(st, got); err != nil {
		t.Fatalf("stream %d: read %d of %d bytes: %v", st.ID(), n, len(want), err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("stream %d: read bytes differ from those written", st.ID())
	}
}

// expectEOF checks that st has nothing more to read: Read returns 0, io.EOF.
func expectEOF(t testing.TB, st *core.Stream) {
	t.Helper()
	st.SetReadDeadline(time.Now().Add(opTimeout))
	defer st.SetReadDeadline(time.Time{})
	var b [1]byte
	if n, err := st.Read(b[:]); n != 0 || err != io.EOF {
		t.Fatalf("stream %d: Read = %d, %v; want 0, io.EOF", st.ID(), n, err)
	}
}

// readToEnd reads st until an error or opTimeout and returns that error.
func readToEnd(st *core.Stream) error {
	st.SetReadDeadline(time.Now().Add(opTimeout))
	_, err := io.Copy(io.Discard, st)
	if err == nil {
		return io.EOF // io.Copy hides the clean end
	}
	return err
}

// expectCutOff checks that st, whose session ended, reads to an error that
// matches net.ErrClosed and is not a clean io.EOF.
func expectCutOff(t testing.TB, st *core.Stream) {
	t.Helper()
	err := readToEnd(st)
	if err == io.EOF || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("stream %d cut off by the session's end: read error %v; want one matching net.ErrClosed, not io.EOF", st.ID(), err)
	}
}

// expectCutOffByPeer checks that a stream whose peer session was closed
// reads an error, never io.EOF: the reset the closing side sent for it
// (core.ErrStreamReset), or the end of the session (net.ErrClosed) if that
// came first.
func expectCutOffByPeer(t testing.TB, st *core.Stream) {
	t.Helper()
	err := readToEnd(st)
	if err == io.EOF || !errors.Is(err, net.ErrClosed) && !errors.Is(err, core.ErrStreamReset) {
		t.Fatalf("stream %d of a peer that closed: read error %v; want core.ErrStreamReset or net.ErrClosed, not io.EOF", st.ID(), err)
	}
}

// expectTimeout checks that err is a deadline error as net.Conn promises.
func expectTimeout(t testing.TB, err error, what string) {
	t.Helper()
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("%s: error %v; want os.ErrDeadlineExceeded", what, err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("%s: error %v is not a net.Error with Timeout() true", what, err)
	}
}

// expectErr checks that err matches target.
func expectErr(t testing.TB, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v; want one matching %v", what, err, target)
	}
}

// waitNumStreams waits until s counts n streams. Streams leave the table
// when the last frame of their exchange is processed, which the test cannot
// observe directly, so this polls, bounded by opTimeout.
func waitNumStreams(t testing.TB, s *core.Session, n int, what string) {
	t.Helper()
	deadline := time.Now().Add(opTimeout)
	for s.NumStreams() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: NumStreams = %d; want %d", what, s.NumStreams(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// readFull is io.ReadFull with an error that says how far it got.
func readFull(st *core.Stream, p []byte) (int, error) {
	n, err := io.ReadFull(st, p)
	if err != nil {
		err = fmt.Errorf("stream %d: read %d of %d bytes: %w", st.ID(), n, len(p), err)
	}
	return n, err
}

// compare reports whether got and want differ, and where.
func compare(got, want []byte) error {
	if bytes.Equal(got, want) {
		return nil
	}
	if len(got) != len(want) {
		return fmt.Errorf("got %d bytes, want %d", len(got), len(want))
	}
	i := 0
	for got[i] == want[i] {
		i++
	}
	return fmt.Errorf("bytes differ from offset %d of %d", i, len(want))
}

// contextWithTimeout is testContext for goroutines that cannot use t.
func contextWithTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

// waitGroup waits for wg, failing t after twice opTimeout (every goroutine
// in wg bounds its own waits by opTimeout).
func waitGroup(t testing.TB, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * opTimeout):
		t.Fatalf("%s: still running after %v", what, 2*opTimeout)
	}
}
