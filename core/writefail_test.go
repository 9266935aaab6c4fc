package core_test

import (
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// brokenWriteConn is a transport whose writes fail at once while its reads
// deliver what the peer sent before it closed, but only once the test
// releases them: the reader lags behind the failed write.
type brokenWriteConn struct {
	release chan struct{}
	failed  chan struct{} // closed by the first Write
	failing sync.Once
	mu      sync.Mutex
	unread  []byte
	closed  chan struct{}
	once    sync.Once
}

var errBrokenPipe = errors.New("broken pipe")

func (c *brokenWriteConn) Read(p []byte) (int, error) {
	select {
	case <-c.release:
	case <-c.closed:
		return 0, io.ErrClosedPipe
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.unread) == 0 {
		<-c.closed // the peer is gone: EOF only once we close
		return 0, io.EOF
	}
	n := copy(p, c.unread)
	c.unread = c.unread[n:]
	return n, nil
}

func (c *brokenWriteConn) Write(p []byte) (int, error) {
	c.failing.Do(func() { close(c.failed) })
	return 0, errBrokenPipe
}

func (c *brokenWriteConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

// A failed write does not cut off what the peer sent before it went away:
// the reader still delivers the peer's reply and FIN, then the session
// ends. (A peer that answered and closed makes our late write fail.)
func TestWriteFailureKeepsUnreadReply(t *testing.T) {
	var in []byte
	in = frame.AppendHeader(in, hdr(frame.TypeData, frame.FlagACK, 1, 5))
	in = append(in, "reply"...)
	in = frame.AppendHeader(in, hdr(frame.TypeData, frame.FlagFIN, 1, 0))
	conn := &brokenWriteConn{release: make(chan struct{}), failed: make(chan struct{}), unread: in, closed: make(chan struct{})}
	cfg := core.DefaultConfig()
	cfg.KeepAliveInterval = 0
	cfg.WriteTimeout = rawTimeout
	s, err := core.Client(conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := contextFor(rawTimeout)
	defer cancel()
	st, err := s.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	write(t, st, "request") // queued; the driver's write fails
	select {
	case <-conn.failed:
	case <-ctx.Done():
		t.Fatal("the driver never wrote")
	}
	time.Sleep(10 * time.Millisecond) // a session that ends on the failure has done so by now
	close(conn.release)
	expectRead(t, st, "reply")
	if err := readErr(st); err != io.EOF {
		t.Fatalf("Read after the peer's FIN: %v; want io.EOF", err)
	}
}

// stuckWriteConn is a transport whose first Write blocks until the test
// fails it, and whose reads wait for Close: a peer that went silent.
type stuckWriteConn struct {
	writing   chan struct{} // closed when the first Write starts
	fail      chan struct{} // closed by the test: the Write returns an error
	closed    chan struct{} // closed by Close
	startOnce sync.Once
	closeOnce sync.Once
}

func (c *stuckWriteConn) Read(p []byte) (int, error) {
	<-c.closed
	return 0, io.ErrClosedPipe
}

func (c *stuckWriteConn) Write(p []byte) (int, error) {
	c.startOnce.Do(func() { close(c.writing) })
	<-c.fail
	return 0, errBrokenPipe
}

func (c *stuckWriteConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

// A write that fails after the session was closed closes the transport at
// once: nothing is left to write, and waiting for WriteTimeout would hold
// the connection (a KCP connection's goroutine, a socket) that long.
func TestWriteFailureAfterCloseClosesTransport(t *testing.T) {
	conn := &stuckWriteConn{writing: make(chan struct{}), fail: make(chan struct{}), closed: make(chan struct{})}
	cfg := core.DefaultConfig()
	cfg.KeepAliveInterval = 0
	cfg.WriteTimeout = time.Hour // the old behaviour: closed an hour later
	s, err := core.Client(conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := contextFor(rawTimeout)
	defer cancel()
	st, err := s.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	write(t, st, "request") // the driver's Write blocks
	select {
	case <-conn.writing:
	case <-ctx.Done():
		t.Fatal("the driver never wrote")
	}
	s.Close()
	<-s.Done()
	close(conn.fail)
	select {
	case <-conn.closed:
	case <-ctx.Done():
		t.Fatal("the transport is still open after the failed write of a closed session")
	}
}
