package core_test

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// TestShutdownFlushesRacingReply: a reply written and closed while
// Shutdown is draining reaches the peer before the transport closes. A
// write batch completing at that moment used to pair a stale "nothing
// queued" with "session ended" and close the transport under the reply and
// its FIN. The window is narrow, so the exchange is repeated.
func TestShutdownFlushesRacingReply(t *testing.T) {
	cfg := core.DefaultConfig()
	cfg.KeepAliveInterval = 0 // only the exchange's own frames on the wire
	for i := range 200 {
		c1, c2 := net.Pipe()
		client, err := core.Client(c1, cfg)
		if err != nil {
			t.Fatal(err)
		}
		server, err := core.Server(c2, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := contextFor(rawTimeout)
		st, err := client.OpenStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		write(t, st, "request")
		st.CloseWrite()
		sst, err := server.AcceptStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		shut := make(chan error, 1)
		go func() { shut <- server.Shutdown(ctx) }()
		go func() {
			defer sst.Close()
			io.ReadAll(sst)
			sst.Write([]byte("reply"))
		}()
		st.SetReadDeadline(time.Now().Add(rawTimeout))
		reply, err := io.ReadAll(st)
		if err := <-shut; err != nil {
			t.Errorf("round %d: Shutdown: %v", i, err)
		}
		client.Close()
		cancel()
		if err != nil || string(reply) != "reply" {
			t.Fatalf("round %d: client read %q, %v; want the reply, then EOF", i, reply, err)
		}
	}
}

// slowClose is a transport whose Close, once called, waits for release
// before closing: a KCP connection lingering until its last frames are
// acknowledged.
type slowClose struct {
	net.Conn
	entered chan struct{} // closed when Close is first called
	release chan struct{} // closed by the test to let Close finish
	closed  atomic.Bool   // Close has closed the transport
	once    sync.Once
	err     error // what closing the transport returned
}

func (c *slowClose) Close() error {
	c.once.Do(func() {
		close(c.entered)
		<-c.release
		c.err = c.Conn.Close()
		c.closed.Store(true)
	})
	return c.err
}

// TestShutdownAfterPeerGoAwayAwaitsTransport: a Shutdown that finds the
// session already ended by the peer's GoAway still returns only once the
// transport is closed, so that the caller does not close what carries it
// (a shared UDP socket) under the last frames. It used to return at once
// (the KCP demo's server closed its listener under a lingering session, and
// the client never got its last stream's FIN).
func TestShutdownAfterPeerGoAwayAwaitsTransport(t *testing.T) {
	c1, c2 := net.Pipe()
	conn := &slowClose{Conn: c1, entered: make(chan struct{}), release: make(chan struct{})}
	cfg := core.DefaultConfig()
	cfg.KeepAliveInterval = 0
	sess, err := core.Server(conn, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	defer c2.Close()
	var release sync.Once
	letClose := func() { release.Do(func() { close(conn.release) }) }
	defer letClose() // first: sess.Close waits for the transport's Close
	go io.Copy(io.Discard, c2)
	ctx, cancel := contextFor(rawTimeout)
	defer cancel()
	c2.SetWriteDeadline(time.Now().Add(rawTimeout))
	if _, err := c2.Write(encode(hdr(frame.TypeGoAway, 0, 0, uint32(frame.CodeNormal)), nil)); err != nil {
		t.Fatal(err)
	}
	// Idle, the session ends on the peer's GoAway and closes its transport.
	select {
	case <-conn.entered:
	case <-ctx.Done():
		t.Fatal("the session did not close its transport after the peer's GoAway")
	}
	shut := make(chan error, 1)
	go func() { shut <- sess.Shutdown(ctx) }()
	// Nothing to await: Shutdown must still be waiting a moment later.
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while the transport was still closing", err)
	case <-time.After(50 * time.Millisecond):
	}
	letClose()
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if !conn.closed.Load() {
		t.Fatal("Shutdown returned before the transport was closed")
	}
}
