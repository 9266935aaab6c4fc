package interop_test

// The scenarios every yamux peer goes through against netmux in the yamux
// dialect, in both roles. Each peer's file adapts its library to peer and
// runs these.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// bound limits every wait, as a guard against a hang only: a passing run
// needs a small fraction of it, even under -race on a busy machine.
const bound = 60 * time.Second

// peer is a third-party yamux session as the scenarios drive it.
type peer interface {
	Open() (net.Conn, error)
	Accept() (net.Conn, error)
	Ping() (time.Duration, error)
	GoAway() error
	Close() error
	CloseChan() <-chan struct{}
}

// peerLib starts a third-party session over conn, as client or server.
// keepAlive > 0 turns its keepalive on at that interval.
type peerLib func(t *testing.T, conn net.Conn, client bool, keepAlive time.Duration) peer

// tcpPair returns the two ends of a new loopback TCP connection.
func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		a.Close()
		t.Fatal(r.err)
	}
	return a, r.c
}

// pair is netmux (yamux dialect) and a third-party peer on one connection.
type pair struct {
	nm   *core.Session
	peer peer
	tap  *tap // what netmux read from the peer
}

// newPair connects netmux and the peer library over loopback TCP, netmux
// as the client if nmClient. tune may change netmux's config.
func newPair(t *testing.T, lib peerLib, nmClient bool, peerKeepAlive time.Duration, tune func(*core.Config)) *pair {
	t.Helper()
	a, b := tcpPair(t)
	cfg := core.DefaultConfig()
	cfg.Dialect = core.DialectYamux
	cfg.KeepAliveInterval = 0
	if tune != nil {
		tune(cfg)
	}
	tp := &tap{Conn: a}
	start := core.Server
	if nmClient {
		start = core.Client
	}
	nm, err := start(tp, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := lib(t, b, !nmClient, peerKeepAlive)
	t.Cleanup(func() {
		p.Close()
		nm.Close()
		<-nm.Done()
		<-p.CloseChan()
	})
	return &pair{nm: nm, peer: p, tap: tp}
}

// roles runs f with netmux as the client and as the server.
func roles(t *testing.T, f func(t *testing.T, nmClient bool)) {
	t.Run("NetmuxClient", func(t *testing.T) { f(t, true) })
	t.Run("NetmuxServer", func(t *testing.T) { f(t, false) })
}

// ends returns the opener and acceptor functions for one direction.
func (p *pair) ends(nmOpens bool) (open, accept func() (net.Conn, error)) {
	if nmOpens {
		return p.nm.Open, p.peer.Accept
	}
	return p.peer.Open, p.nm.Accept
}

// closeWrite half-closes c: CloseWrite where the library has it, else Close
// (hashicorp/yamux's Close sends FIN and keeps reading).
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}

// testEcho opens n streams at once; on each, the opener sends size
// pseudo-random bytes and half-closes, the acceptor echoes everything back
// and half-closes after the opener's FIN, and the opener checks the echo's
// SHA-256. size above 256 KiB makes every stream wait for window updates.
func testEcho(t *testing.T, p *pair, nmOpens bool, n, size int) {
	open, accept := p.ends(nmOpens)
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	wg.Go(func() {
		for range n {
			c, err := accept()
			if err != nil {
				errs <- fmt.Errorf("accept: %w", err)
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(bound))
				if _, err := io.Copy(c, c); err != nil {
					errs <- fmt.Errorf("echo: %w", err)
					return
				}
				if err := closeWrite(c); err != nil {
					errs <- fmt.Errorf("echo close: %w", err)
				}
			})
		}
	})
	for i := range n {
		wg.Go(func() {
			if err := echoOnce(open, uint64(i), size); err != nil {
				errs <- fmt.Errorf("stream %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// echoOnce opens a stream, sends size seeded bytes, half-closes and checks
// that the echo has the same SHA-256.
func echoOnce(open func() (net.Conn, error), seed uint64, size int) error {
	c, err := open()
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(bound))
	data := make([]byte, size)
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	rand.NewChaCha8(key).Read(data)
	sent := sha256.Sum256(data)
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(data)
		if err == nil {
			err = closeWrite(c)
		}
		werr <- err
	}()
	h := sha256.New()
	got, rerr := io.Copy(h, c)
	if err := <-werr; err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if rerr != nil {
		return fmt.Errorf("read after %d bytes: %w", got, rerr)
	}
	if got != int64(size) || !bytes.Equal(h.Sum(nil), sent[:]) {
		return fmt.Errorf("echo of %d bytes: got %d bytes, checksum match %v", size, got, bytes.Equal(h.Sum(nil), sent[:]))
	}
	return nil
}

// testStreams is the open/accept, flow-control and half-close scenario:
// 100 concurrent streams with 300 KiB each way, opened by either side.
func testStreams(t *testing.T, lib peerLib) {
	roles(t, func(t *testing.T, nmClient bool) {
		p := newPair(t, lib, nmClient, 0, nil)
		t.Run("NetmuxOpens", func(t *testing.T) { testEcho(t, p, true, 100, 300<<10) })
		t.Run("PeerOpens", func(t *testing.T) { testEcho(t, p, false, 100, 300<<10) })
	})
}

// testOpenBurst: netmux, with an AcceptBacklog far above the peer's (256),
// opens more streams than that before the peer accepts any: none is
// refused, because netmux waits for ACKs past 256 unacknowledged opens.
func testOpenBurst(t *testing.T, lib peerLib) {
	roles(t, func(t *testing.T, nmClient bool) {
		p := newPair(t, lib, nmClient, 0, func(c *core.Config) { c.AcceptBacklog = 4096 })
		const n = 300
		errs := make(chan error, 2*n)
		full := make(chan struct{}) // 256 opens out: the peer's backlog is full
		fill := sync.OnceFunc(func() { close(full) })
		var wg sync.WaitGroup
		wg.Go(func() {
			defer fill() // also on failure
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			for i := range n {
				if i == 256 {
					fill()
				}
				st, err := p.nm.OpenStream(ctx)
				if err != nil {
					errs <- fmt.Errorf("open %d: %w", i, err)
					return
				}
				wg.Go(func() {
					defer st.Close()
					st.SetDeadline(time.Now().Add(bound))
					if _, err := st.Write([]byte{1}); err != nil {
						errs <- fmt.Errorf("stream %d: write: %w", st.ID(), err)
						return
					}
					st.CloseWrite()
					if _, err := io.Copy(io.Discard, st); err != nil {
						errs <- fmt.Errorf("stream %d: read to the peer's FIN: %w", st.ID(), err)
					}
				})
			}
		})
		<-full
		// A refused stream never reaches Accept: end both sessions then,
		// rather than wait for ever.
		watchdog := time.AfterFunc(bound, func() { p.peer.Close(); p.nm.Close() })
		defer watchdog.Stop()
		for range n {
			c, err := p.peer.Accept()
			if err != nil {
				errs <- fmt.Errorf("peer Accept: %w", err)
				break
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(bound))
				if b, err := io.ReadAll(c); err != nil || len(b) != 1 {
					errs <- fmt.Errorf("peer read %d bytes, %v; want 1 and EOF", len(b), err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// testNetmuxReset: netmux resets a stream the peer is reading; the peer's
// Read fails (not a clean EOF) and the session goes on.
func testNetmuxReset(t *testing.T, lib peerLib) {
	roles(t, func(t *testing.T, nmClient bool) {
		p := newPair(t, lib, nmClient, 0, nil)
		st, err := p.nm.OpenStream(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		c, err := p.peer.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(bound))
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		st.Reset()
		if _, err := c.Read(make([]byte, 1)); err == nil || err == io.EOF {
			t.Fatalf("peer Read after netmux's reset: %v; want a reset error", err)
		}
		testEcho(t, p, true, 1, 10)
	})
}

// testPing: each side's Ping is answered by the other.
func testPing(t *testing.T, lib peerLib) {
	roles(t, func(t *testing.T, nmClient bool) {
		p := newPair(t, lib, nmClient, 0, nil)
		for range 3 {
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			rtt, err := p.nm.Ping(ctx)
			cancel()
			if err != nil || rtt <= 0 {
				t.Fatalf("netmux Ping = %v, %v", rtt, err)
			}
			if rtt, err := p.peer.Ping(); err != nil || rtt <= 0 {
				t.Fatalf("peer Ping = %v, %v", rtt, err)
			}
		}
	})
}

// testKeepAlive: both sides keep alive at short intervals; the session
// survives several rounds of each side's pings, all answered.
func testKeepAlive(t *testing.T, lib peerLib) {
	roles(t, func(t *testing.T, nmClient bool) {
		// netmux pings less often than the peer: go-yamux postpones its
		// own ping whenever a frame arrives. Once a check finds a ping of
		// netmux's unanswered (a slow start), netmux looks again only at
		// the timeout: keep it short of bound, far above a busy machine's
		// stalls (the peer's frames every 10 ms are proof of life).
		p := newPair(t, lib, nmClient, 10*time.Millisecond, func(c *core.Config) {
			c.KeepAliveInterval = 30 * time.Millisecond
			c.KeepAliveTimeout = 5 * time.Second
		})
		const rounds = 4
		p.tap.await(t, p.nm, "keepalive rounds", func(c counts) bool {
			return c.pingReq >= rounds && c.pingRep >= rounds
		})
		testEcho(t, p, true, 1, 10)
		testEcho(t, p, false, 1, 10)
	})
}

// counts are the session frames netmux read from the peer, and the
// GoAways it wrote.
type counts struct{ pingReq, pingRep, goAway, goAwayOut int }

// tap is netmux's transport: it follows the frames both ways (copying
// only their headers) and counts the session frames. It keeps netmux's
// vectored writes (writev) with WriteBuffers.
type tap struct {
	net.Conn
	in frameScanner // used by the one goroutine reading

	mu      sync.Mutex
	out     frameScanner
	n       counts
	changed chan struct{} // closed and replaced when n changes
}

func (c *tap) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in.feed(p[:n], func(h frame.Header) { c.count(h, false) })
	return n, err
}

func (c *tap) Write(p []byte) (int, error) {
	c.scanOut(p)
	return c.Conn.Write(p)
}

// WriteBuffers is the vectored write the goroutine driver looks for.
func (c *tap) WriteBuffers(v [][]byte) (int, error) {
	for _, p := range v {
		c.scanOut(p)
	}
	nb := net.Buffers(v)
	n, err := nb.WriteTo(c.Conn)
	return int(n), err
}

func (c *tap) scanOut(p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.out.feed(p, func(h frame.Header) { c.countLocked(h, true) })
}

func (c *tap) count(h frame.Header, out bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.countLocked(h, out)
}

func (c *tap) countLocked(h frame.Header, out bool) {
	switch {
	case out && h.Type == frame.TypeGoAway:
		c.n.goAwayOut++
	case out:
		return
	case h.Type == frame.TypePing && h.Flags&frame.FlagSYN != 0:
		c.n.pingReq++
	case h.Type == frame.TypePing && h.Flags&frame.FlagACK != 0:
		c.n.pingRep++
	case h.Type == frame.TypeGoAway:
		c.n.goAway++
	default:
		return
	}
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// frameScanner follows the frame boundaries of one direction of a byte
// stream, copying only headers.
type frameScanner struct {
	hdr  []byte // the partial header so far
	skip int    // payload bytes still to pass over
}

// feed passes the next bytes of the stream; each is called with every
// header completed.
func (f *frameScanner) feed(p []byte, each func(frame.Header)) {
	for len(p) > 0 {
		if f.skip > 0 {
			k := min(f.skip, len(p))
			f.skip -= k
			p = p[k:]
			continue
		}
		k := min(frame.HeaderSize-len(f.hdr), len(p))
		f.hdr = append(f.hdr, p[:k]...)
		p = p[k:]
		if len(f.hdr) == frame.HeaderSize {
			h, _ := frame.ParseHeader(f.hdr)
			f.hdr = f.hdr[:0]
			f.skip = h.PayloadLen()
			each(h)
		}
	}
}

// await waits until netmux has read frames that satisfy ok; it fails t if
// the session ends first or bound passes.
func (c *tap) await(t *testing.T, nm *core.Session, what string, ok func(counts) bool) {
	t.Helper()
	timeout := time.After(bound)
	for {
		c.mu.Lock()
		n := c.n
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		changed := c.changed
		c.mu.Unlock()
		if ok(n) {
			return
		}
		select {
		case <-changed:
		case <-nm.Done():
			t.Fatalf("%s: session ended: %v (read so far: %+v)", what, nm.Err(), n)
		case <-timeout:
			t.Fatalf("%s: not within %v (read so far: %+v)", what, bound, n)
		}
	}
}

// openPair opens a stream from netmux and accepts it on the peer, with one
// byte through so that the peer has seen the SYN.
func openPair(t *testing.T, p *pair) (*core.Stream, net.Conn) {
	t.Helper()
	st, err := p.nm.OpenStream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st.SetDeadline(time.Now().Add(bound))
	if _, err := st.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	c, err := p.peer.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(bound))
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	return st, c
}

// finishPair exchanges a message each way on an open stream, then both
// sides half-close and read the other's clean EOF.
func finishPair(t *testing.T, st *core.Stream, c net.Conn) {
	t.Helper()
	for _, d := range []struct{ from, to net.Conn }{{st, c}, {c, st}} {
		if _, err := d.from.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		if b := make([]byte, 5); readFull(d.to, b) != nil || string(b) != "hello" {
			t.Fatal("message lost on a stream open across the GoAway")
		}
	}
	st.CloseWrite()
	closeWrite(c)
	for _, r := range []net.Conn{st, c} {
		if n, err := io.Copy(io.Discard, r); n != 0 || err != nil {
			t.Fatalf("read to the end: %d bytes, %v; want a clean EOF", n, err)
		}
	}
}

func readFull(c net.Conn, b []byte) error { _, err := io.ReadFull(c, b); return err }

// await waits for ch within bound.
func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(bound):
		t.Fatalf("%s: not within %v", what, bound)
	}
}

// testPeerGoAway: after the peer's GoAway(Normal) netmux opens nothing
// new, the stream already open runs to its end, and then the session ends
// with the peer's GoAway as its reason.
func testPeerGoAway(t *testing.T, lib peerLib) {
	roles(t, func(t *testing.T, nmClient bool) {
		p := newPair(t, lib, nmClient, 0, nil)
		st, c := openPair(t, p)
		if err := p.peer.GoAway(); err != nil {
			t.Fatal(err)
		}
		// Once netmux has read the GoAway, the reply to a ping it sends
		// afterwards comes behind it: then the GoAway has been handled.
		p.tap.await(t, p.nm, "the peer's GoAway", func(c counts) bool { return c.goAway > 0 })
		if _, err := p.nm.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, err := p.nm.Open(); !errIsRemoteGoAway(err) {
			t.Fatalf("netmux Open after the peer's GoAway: %v; want its *GoAwayError", err)
		}
		finishPair(t, st, c)
		await(t, p.nm.Done(), "netmux ends once the last stream is done")
		if err := p.nm.Err(); !errIsRemoteGoAway(err) {
			t.Fatalf("netmux Err: %v; want the peer's GoAway(Normal)", err)
		}
		await(t, p.peer.CloseChan(), "the peer sees the transport close")
	})
}

// testNetmuxShutdown: netmux's graceful GoAway. A peer that honours it
// (drains) refuses new opens and lets the open stream finish; go-yamux
// tears everything down on any GoAway, and netmux takes that as the end.
func testNetmuxShutdown(t *testing.T, lib peerLib, drains bool) {
	roles(t, func(t *testing.T, nmClient bool) {
		p := newPair(t, lib, nmClient, 0, nil)
		st, c := openPair(t, p)
		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			done <- p.nm.Shutdown(ctx)
		}()
		if !drains {
			await(t, p.peer.CloseChan(), "the peer ends on netmux's GoAway")
			if err := <-done; err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if _, err := io.Copy(io.Discard, st); err == nil {
				t.Fatal("netmux stream cut off by the peer's teardown read a clean EOF")
			}
			return
		}
		// Once netmux is writing its GoAway, the reply to a ping the
		// peer sends afterwards comes behind it.
		p.tap.await(t, p.nm, "netmux's GoAway written", func(c counts) bool { return c.goAwayOut > 0 })
		if _, err := p.peer.Ping(); err != nil {
			t.Fatal(err)
		}
		if _, err := p.peer.Open(); err == nil {
			t.Fatal("peer Open after netmux's GoAway succeeded")
		}
		finishPair(t, st, c)
		if err := <-done; err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		await(t, p.peer.CloseChan(), "the peer sees the transport close")
	})
}

// testClose: either side's Close ends the other side's session, and the
// streams it cuts off fail instead of reading a clean EOF. A yamux peer
// closes without a GoAway: netmux records that as the peer's GoAway(Normal).
func testClose(t *testing.T, lib peerLib) {
	roles(t, func(t *testing.T, nmClient bool) {
		t.Run("NetmuxCloses", func(t *testing.T) {
			p := newPair(t, lib, nmClient, 0, nil)
			_, c := openPair(t, p)
			p.nm.Close()
			await(t, p.peer.CloseChan(), "the peer ends")
			if _, err := io.Copy(io.Discard, c); err == nil {
				t.Fatal("peer stream cut off by netmux's Close read a clean EOF")
			}
		})
		t.Run("PeerCloses", func(t *testing.T) {
			p := newPair(t, lib, nmClient, 0, nil)
			st, _ := openPair(t, p)
			// Once its ping is answered the peer has read all netmux sent
			// (go-yamux's RTT ping at start, say): closing with unread
			// bytes would reset the connection instead of ending it.
			if _, err := p.peer.Ping(); err != nil {
				t.Fatal(err)
			}
			p.peer.Close()
			await(t, p.nm.Done(), "netmux ends")
			if err := p.nm.Err(); !errIsRemoteGoAway(err) {
				t.Fatalf("netmux Err after the peer's Close: %v; want GoAway(Normal) from the peer", err)
			}
			if _, err := io.Copy(io.Discard, st); err == nil {
				t.Fatal("netmux stream cut off by the peer's Close read a clean EOF")
			}
		})
	})
}

// errIsRemoteGoAway reports whether err is netmux's record of the peer's
// GoAway(Normal), or of its bare EOF, which stands for one.
func errIsRemoteGoAway(err error) bool {
	var ga *core.GoAwayError
	return errors.As(err, &ga) && ga.Remote && ga.Code == frame.CodeNormal
}
