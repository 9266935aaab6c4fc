package evloop_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
	"github.com/netmux/netmux/internal/conformance"
	"github.com/netmux/netmux/transport/evloop"
)

// These tests send more than the kernel's socket buffers hold on loopback
// (the send buffer grows to tcp_wmem's 4 MiB at most, and the peer's
// receive buffer is kept small) to a peer that does not read (or reads
// slowly), so that the rest has to wait in the session.
const (
	burstStreams = 48
	burstSize    = frame.InitialWindow // each stream's whole initial window
	burstTotal   = burstStreams * burstSize
)

// stalledPeer dials ln with a raw TCP connection that never reads and
// returns it with the server session it became.
func stalledPeer(t *testing.T, ln *evloop.Listener) *core.Session {
	t.Helper()
	nc, err := net.DialTimeout("tcp", ln.Addr().String(), pairTimeout)
	if err != nil {
		t.Fatalf("net.Dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.(*net.TCPConn).SetReadBuffer(16 << 10)
	s := acceptFrom(t, ln, nc.LocalAddr())
	t.Cleanup(func() { s.Close() })
	return s
}

// burst opens burstStreams streams on s and writes burstSize bytes on each,
// concurrently, seeded by the stream's id (conformance.Payload). It returns
// a channel that yields each stream's Write error, then closes.
func burst(t *testing.T, s *core.Session) <-chan error {
	t.Helper()
	errs := make(chan error, burstStreams)
	var wg sync.WaitGroup
	for i := range burstStreams {
		st, err := s.OpenStream(context.Background())
		if err != nil {
			t.Fatalf("OpenStream %d: %v", i, err)
		}
		st.SetWriteDeadline(time.Now().Add(20 * time.Second))
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.Write(conformance.Payload(uint64(st.ID()), burstSize))
			errs <- err
		}()
	}
	go func() {
		wg.Wait()
		close(errs)
	}()
	return errs
}

// TestPeerNotReading: a peer that stops reading makes the driver stop
// taking frames once the socket is full (Write waits instead of a queue
// growing outside the session), and after WriteTimeout without progress
// the session ends with an error that says why.
func TestPeerNotReading(t *testing.T) {
	sc := core.DefaultConfig()
	sc.KeepAliveInterval = 0
	sc.WriteTimeout = 300 * time.Millisecond
	cfg := sessionConfig(sc)
	cfg.EventLoops = 1
	ln := newListener(t, cfg)
	s := stalledPeer(t, ln)
	errs := burst(t, s)

	select {
	case <-s.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("session still open 15s after its peer stopped reading")
	}
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "peer stopped reading") {
		t.Fatalf("session ended with %v; want the peer-not-reading error", err)
	}
	// Only what the socket took counts as written: the rest was held in
	// the session, not queued behind it without bound.
	if out := s.Stats().BytesOut; out >= burstTotal/2 {
		t.Errorf("%d of %d bytes counted as written; want the rest held back", out, burstTotal)
	}
	failed := 0
	for err := range errs {
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("Write failed with %v; want the session's error", err)
			}
			failed++
		}
	}
	if failed == 0 {
		t.Error("every Write completed although the peer never read")
	}
}

// slowConn reads at most slowChunk bytes per tick of its ticker, a steady
// slowChunk/slowTick bytes a second, until fast is closed; read counts the
// bytes it returned.
type slowConn struct {
	net.Conn
	tick *time.Ticker
	fast chan struct{}
	read atomic.Int64
}

const (
	slowChunk = 8 << 10
	slowTick  = 20 * time.Millisecond // 400 KiB/s
)

func (c *slowConn) Read(p []byte) (int, error) {
	select {
	case <-c.fast:
	default:
		select {
		case <-c.fast:
		case <-c.tick.C:
			p = p[:min(len(p), slowChunk)]
		}
	}
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// TestSlowReaderKept: a peer that reads slowly but steadily, far less per
// WriteTimeout than the socket buffers hold (MiBs on loopback), is not
// taken for one that stopped reading while the session has lots queued for
// it: it stays connected for several WriteTimeouts and, once it speeds up,
// gets every byte.
//
// What the sender sees of a slow reader is its TCP window reopening, in
// steps of about half its receive buffer; the peer's buffer is fixed at
// 64 KiB (128 KiB for the kernel) so that at this rate a step comes every
// quarter WriteTimeout or so, whatever the system's defaults.
func TestSlowReaderKept(t *testing.T) {
	sc := core.DefaultConfig()
	sc.KeepAliveInterval = 0
	sc.WriteTimeout = time.Second
	cfg := sessionConfig(sc)
	cfg.EventLoops = 1
	ln := newListener(t, cfg)
	nc, err := net.DialTimeout("tcp", ln.Addr().String(), pairTimeout)
	if err != nil {
		t.Fatalf("net.Dial: %v", err)
	}
	nc.(*net.TCPConn).SetReadBuffer(64 << 10)
	slow := &slowConn{Conn: nc, tick: time.NewTicker(slowTick), fast: make(chan struct{})}
	defer slow.tick.Stop()
	speedUp := sync.OnceFunc(func() { close(slow.fast) })
	t.Cleanup(speedUp)
	pc := core.DefaultConfig()
	pc.KeepAliveInterval = 0
	peer, err := core.Client(slow, pc)
	if err != nil {
		t.Fatalf("core.Client: %v", err)
	}
	t.Cleanup(func() { peer.Close() })
	s := acceptFrom(t, ln, nc.LocalAddr())
	t.Cleanup(func() { s.Close() })

	writes := burst(t, s)
	reads := make(chan error, burstStreams)
	for range burstStreams {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			st, err := peer.AcceptStream(ctx)
			if err != nil {
				reads <- err
				return
			}
			defer st.Close()
			st.SetReadDeadline(time.Now().Add(30 * time.Second))
			got := make([]byte, burstSize)
			if _, err := io.ReadFull(st, got); err != nil {
				reads <- fmt.Errorf("stream %d: %w", st.ID(), err)
				return
			}
			if !bytes.Equal(got, conformance.Payload(uint64(st.ID()), burstSize)) {
				reads <- fmt.Errorf("stream %d: data differs from what was written", st.ID())
				return
			}
			reads <- nil
		}()
	}

	slowFor := 4 * sc.WriteTimeout
	select {
	case <-s.Done():
		t.Fatalf("session ended while its peer was reading %d bytes every %v: %v", slowChunk, slowTick, s.Err())
	case <-time.After(slowFor):
	}
	// At 400 KiB/s the peer has taken a small part of the burst: the rest
	// was queued all along (in the session, gnet and the socket).
	if got := slow.read.Load(); got >= burstTotal/2 {
		t.Fatalf("peer read %d of %d bytes in %v; the test needs most of them still queued", got, burstTotal, slowFor)
	}
	speedUp()
	for range burstStreams {
		if err := <-reads; err != nil {
			t.Error(err)
		}
	}
	for err := range writes {
		if err != nil {
			t.Errorf("Write: %v", err)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatalf("session ended: %v", err)
	}
}

// gatedConn is a connection whose reads wait until open is closed.
type gatedConn struct {
	net.Conn
	open chan struct{}
}

func (g *gatedConn) Read(p []byte) (int, error) {
	<-g.open
	return g.Conn.Read(p)
}

// TestCloseDrains: closing a session whose data still waits for room in
// the socket (the peer is slow to read) delivers all of it before the
// connection closes.
func TestCloseDrains(t *testing.T) {
	cfg := evloop.DefaultConfig()
	cfg.EventLoops = 1
	ln := newListener(t, cfg)
	nc, err := net.DialTimeout("tcp", ln.Addr().String(), pairTimeout)
	if err != nil {
		t.Fatalf("net.Dial: %v", err)
	}
	nc.(*net.TCPConn).SetReadBuffer(16 << 10)
	gate := &gatedConn{Conn: nc, open: make(chan struct{})}
	release := sync.OnceFunc(func() { close(gate.open) })
	t.Cleanup(release)
	// The peer keeps sending (keepalive pings) while the server closes: a
	// socket closed with bytes still arriving would be reset.
	pc := core.DefaultConfig()
	pc.KeepAliveInterval = time.Millisecond
	pc.KeepAliveTimeout = 20 * time.Second
	peer, err := core.Client(gate, pc)
	if err != nil {
		t.Fatalf("core.Client: %v", err)
	}
	t.Cleanup(func() { peer.Close() })
	s := acceptFrom(t, ln, nc.LocalAddr())

	// The burst is more than the socket and the session's send buffer
	// hold: once most of MaxSendBuffer is queued, the socket is full and
	// the driver holds the batch it has taken from the session.
	writes := burst(t, s)
	full := core.DefaultConfig().MaxSendBuffer * 3 / 4
	for deadline := time.Now().Add(10 * time.Second); s.Stats().SendQueued < full; {
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes queued in the session after 10s; want the socket full", s.Stats().SendQueued)
		}
		time.Sleep(time.Millisecond)
	}
	before := s.Stats().BytesOut
	s.Close()
	release()
	for range writes { // they fail: Close dropped what was still queued
	}

	select {
	case <-peer.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("peer session still open 10s after the server closed")
	}
	// Every byte the server wrote, its GoAway included, reached the peer,
	// and the connection then ended cleanly rather than by a reset.
	if in, out := peer.Stats().BytesIn, s.Stats().BytesOut; in != out {
		t.Errorf("peer received %d bytes; the server wrote %d", in, out)
	}
	if out := s.Stats().BytesOut; out <= before {
		t.Errorf("server wrote %d bytes in all, %d before Close; want the batch it held written too", out, before)
	}
	// A reset would end it with a transport error; a clean end after the
	// server's GoAway reports that GoAway.
	var ga *core.GoAwayError
	if err := peer.Err(); !errors.As(err, &ga) || !ga.Remote || ga.Code != frame.CodeNormal {
		t.Errorf("peer session ended with %v; want the server's GoAway(Normal), then a clean end", err)
	}
}
