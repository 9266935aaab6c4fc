package core

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"
)

// The goroutine driver's read and writer roles over loopback TCP: a stream
// that shows the request/response pattern reads and writes the transport
// itself; these tests check the hand-offs of those roles.

// roleTimeout bounds every wait of these tests.
const roleTimeout = 5 * time.Second

// loopbackTCP returns the two ends of a new loopback TCP connection; the
// caller closes them (or the sessions over them do).
func loopbackTCP(t *testing.T) (c, s net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept() // nil after a failed Dial: ln is closed
		accepted <- c
	}()
	c, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if s = <-accepted; s == nil {
		c.Close()
		t.Fatal("accept failed")
	}
	return c, s
}

// tcpPair returns a client and a server session over loopback TCP, closed
// when t ends; tune, if not nil, adjusts both sockets first.
func tcpPair(t *testing.T, tune func(c, s *net.TCPConn)) (client, server *Session) {
	t.Helper()
	c, s := loopbackTCP(t)
	if tune != nil {
		tune(c.(*net.TCPConn), s.(*net.TCPConn))
	}
	cfg := DefaultConfig()
	cfg.KeepAliveInterval = 0
	var err error
	if client, err = Client(c, cfg); err != nil {
		t.Fatal(err)
	}
	if server, err = Server(s, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close(); <-client.Done(); <-server.Done() })
	return client, server
}

// rrStreams opens n streams from client and accepts them on server, and
// makes each exchange three request/response rounds, so that each shows
// the pattern the driver's fast paths wait for.
func rrStreams(t *testing.T, client, server *Session, n int) (cs, ss []*Stream) {
	t.Helper()
	for range n {
		c, s := openWith(t, client, server, "q")
		cs, ss = append(cs, c), append(ss, s)
		mustRead(t, s, "q")
		for range 3 {
			mustWrite(t, s, "a")
			mustRead(t, c, "a")
			mustWrite(t, c, "q")
			mustRead(t, s, "q")
		}
		if !c.io.shown() || !s.io.shown() {
			t.Fatal("streams do not show the request/response pattern")
		}
	}
	return cs, ss
}

// openWith opens a stream from client, writes first on it (its SYN goes
// with it) and accepts it on server; the caller reads first on s.
func openWith(t *testing.T, client, server *Session, first string) (c, s *Stream) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), roleTimeout)
	defer cancel()
	c, err := client.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, c, first)
	return c, acceptWithin(t, server)
}

func mustRead(t *testing.T, st *Stream, want string) {
	t.Helper()
	st.SetReadDeadline(time.Now().Add(roleTimeout))
	defer st.SetReadDeadline(time.Time{})
	b := make([]byte, len(want))
	if _, err := io.ReadFull(st, b); err != nil || string(b) != want {
		t.Fatalf("stream %d: read %q, %v; want %q", st.id, b, err, want)
	}
}

func mustWrite(t *testing.T, st *Stream, p string) {
	t.Helper()
	st.SetWriteDeadline(time.Now().Add(roleTimeout))
	defer st.SetWriteDeadline(time.Time{})
	if _, err := st.Write([]byte(p)); err != nil {
		t.Fatalf("stream %d: write: %v", st.id, err)
	}
}

// awaitRole waits until s's read role shows readers goroutines in await,
// want of them waiting to lead, and the role held: with readers 1 and want
// 0, the one reader leads. If peer is not nil it pings s meanwhile: the
// reader goroutine, if it holds the role, hands it to a waiting Read after
// reading something.
func awaitRole(t *testing.T, s, peer *Session, readers, want int32) {
	t.Helper()
	d := s.drv.(*goroutineDriver)
	ctx, cancel := context.WithTimeout(context.Background(), roleTimeout)
	defer cancel()
	for {
		r := d.rd.Load()
		if r != nil && d.reading.Load() && r.readers.Load() == readers && r.want.Load() == want {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("read role: never %d readers, %d wanting to lead", readers, want)
		}
		if peer != nil {
			if _, err := peer.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		} else {
			time.Sleep(100 * time.Microsecond)
		}
	}
}

// awaitReaders waits until n goroutines wait in s's await; passive
// counts only those that do not lead.
func awaitReaders(t *testing.T, s *Session, n int32, passive bool) {
	t.Helper()
	d := s.drv.(*goroutineDriver)
	count := func(r *readRole) int32 {
		if passive {
			return r.passive.Load()
		}
		return r.readers.Load()
	}
	deadline := time.Now().Add(roleTimeout)
	for r := d.rd.Load(); r == nil || count(r) != n; r = d.rd.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("never %d Reads waiting (passive only: %v)", n, passive)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// readAsync reads n bytes from st on a new goroutine and reports
// the result on the returned channel.
func readAsync(st *Stream, n int) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadFull(st, make([]byte, n))
		done <- err
	}()
	return done
}

func awaitErr(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(roleTimeout):
		t.Fatal("Read did not return")
		return nil
	}
}

// A deadline that passes while the Read leads (blocked in the transport's
// Read) ends that Read, and the role passes on: the stream and the session
// go on working.
func TestLeaderDeadline(t *testing.T) {
	client, server := tcpPair(t, nil)
	cs, ss := rrStreams(t, client, server, 1)
	c, s := cs[0], ss[0]

	done := readAsync(c, 1)
	awaitRole(t, client, server, 1, 0) // it leads
	c.SetReadDeadline(time.Now())
	if err := awaitErr(t, done); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read = %v; want os.ErrDeadlineExceeded", err)
	}
	c.SetReadDeadline(time.Time{})
	mustWrite(t, s, "late")
	mustRead(t, c, "late")
	mustWrite(t, c, "q")
	mustRead(t, s, "q")
}

// A stream's Close and the session's Close end a Read that leads.
func TestLeaderClose(t *testing.T) {
	client, server := tcpPair(t, nil)
	cs, _ := rrStreams(t, client, server, 2)

	done := readAsync(cs[0], 1)
	awaitRole(t, client, server, 1, 0)
	cs[0].Close()
	if err := awaitErr(t, done); !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("Read after the stream's Close = %v; want ErrStreamClosed", err)
	}

	done = readAsync(cs[1], 1)
	awaitRole(t, client, server, 1, 0)
	client.Close()
	if err := awaitErr(t, done); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after the session's Close = %v; want net.ErrClosed", err)
	}
	<-client.Done()
}

// With many streams' Reads waiting, one leads (or the reader goroutine
// reads) and hands everyone's data on; whichever order the data comes in, every Read gets its own, round
// after round: no reader starves, no wake-up is lost.
func TestLeaderManyReaders(t *testing.T) {
	const n, rounds = 8, 30
	client, server := tcpPair(t, nil)
	cs, ss := rrStreams(t, client, server, n)
	for round := range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for _, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.SetReadDeadline(time.Now().Add(roleTimeout))
				b := make([]byte, 2)
				if _, err := io.ReadFull(c, b); err != nil {
					errs <- err
					return
				}
				if _, err := c.Write(b); err != nil {
					errs <- err
				}
			}()
		}
		if round%2 == 0 {
			awaitReaders(t, client, n, false) // else some come late
		}
		for i := range ss {
			s := ss[(i*5+round)%n] // a different order each round
			mustWrite(t, s, "r"+string(rune('0'+round%10)))
		}
		for _, s := range ss {
			mustRead(t, s, "r"+string(rune('0'+round%10)))
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// A leader whose data came hands the role to a Read that wants it; once
// nobody reads, the reader goroutine takes the role back, so traffic
// nobody waits for (a ping) is still answered.
func TestLeaderHandsOn(t *testing.T) {
	client, server := tcpPair(t, nil)
	cs, ss := rrStreams(t, client, server, 2)

	a := readAsync(cs[0], 1)
	awaitRole(t, client, server, 1, 0) // cs[0] leads
	b := readAsync(cs[1], 1)
	awaitRole(t, client, nil, 2, 1) // cs[1] wants to
	mustWrite(t, ss[0], "a")
	if err := awaitErr(t, a); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, ss[1], "b")
	if err := awaitErr(t, b); err != nil {
		t.Fatal(err)
	}

	// Nobody reads on the client now.
	ctx, cancel := context.WithTimeout(context.Background(), roleTimeout)
	defer cancel()
	if _, err := server.Ping(ctx); err != nil {
		t.Fatalf("ping with no Read on the peer: %v", err)
	}
}

// While a stream keeps leading, the grace period after each release
// lengthens, so the timer fires rarely; once nobody leads, the reader
// goroutine takes the role (a ping is answered) and the period is back to
// its start. A Write on such a stream that waits for credit completes: the
// reader goroutine reads the peer's window updates meanwhile.
func TestGracePeriod(t *testing.T) {
	client, server := tcpPair(t, nil)
	cs, ss := rrStreams(t, client, server, 1)
	c, s := cs[0], ss[0]
	d := client.drv.(*goroutineDriver)
	deadline := time.Now().Add(roleTimeout)
	// The role is made by the first Read that waits: one that found its
	// reply already read by the reader goroutine has not made it yet.
	var r *readRole
	for r = d.rd.Load(); r == nil || r.period.Load() < int64(readGraceMax); r = d.rd.Load() {
		if time.Now().After(deadline) {
			t.Fatalf("grace period not %v after leading for %v (read role %p)", readGraceMax, roleTimeout, r)
		}
		mustWrite(t, c, "q")
		mustRead(t, s, "q")
		mustWrite(t, s, "a")
		mustRead(t, c, "a")
	}

	// Nobody reads on the client now.
	ctx, cancel := context.WithTimeout(context.Background(), roleTimeout)
	defer cancel()
	if _, err := server.Ping(ctx); err != nil {
		t.Fatalf("ping with no Read on the peer: %v", err)
	}
	for !d.reading.Load() || r.period.Load() != int64(readGrace) {
		if ctx.Err() != nil {
			t.Fatalf("reader goroutine reading %v, grace period %v; want true, %v", d.reading.Load(), time.Duration(r.period.Load()), readGrace)
		}
		time.Sleep(100 * time.Microsecond)
	}

	// A stream that leads again, then writes more than its credit: the
	// reader goroutine must read the peer's window updates while the Write
	// waits.
	mustWrite(t, c, "q")
	mustRead(t, s, "q")
	mustWrite(t, s, "a")
	mustRead(t, c, "a")
	big := make([]byte, 4<<20)
	got := make(chan error, 1)
	go func() {
		_, err := io.ReadFull(s, make([]byte, len(big)))
		got <- err
	}()
	c.SetWriteDeadline(time.Now().Add(roleTimeout))
	if _, err := c.Write(big); err != nil {
		t.Fatalf("Write waiting for credit: %v", err)
	}
	if err := awaitErr(t, got); err != nil {
		t.Fatal(err)
	}
}

// A Write after a Read writes inline without ever blocking in the
// transport: with a small socket buffer and a peer that does not read, the
// socket fills mid-batch, the rest goes on in the writer goroutine, a
// write deadline still ends the Write, and the peer gets every byte in
// order.
func TestInlineWriteSocketFull(t *testing.T) {
	client, server := tcpPair(t, func(c, _ *net.TCPConn) { c.SetWriteBuffer(4 << 10) })
	cs, ss := rrStreams(t, client, server, 1)
	c, s := cs[0], ss[0]

	const chunk = 16 << 10
	mustWrite(t, s, string(make([]byte, 64))) // a byte to read before each Write
	var sent []byte
	one := make([]byte, 1)
	for i := 0; ; i++ {
		if _, err := io.ReadFull(c, one); err != nil {
			t.Fatal(err)
		}
		p := make([]byte, chunk)
		for j := range p {
			p[j] = byte(len(sent) + j)
		}
		c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := c.Write(p)
		sent = append(sent, p[:n]...)
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Write = %v; want os.ErrDeadlineExceeded", err)
			}
			break
		}
		if i == 64 {
			t.Fatal("the writes never filled the window and socket")
		}
	}
	got := make([]byte, len(sent))
	s.SetReadDeadline(time.Now().Add(roleTimeout))
	if _, err := io.ReadFull(s, got); err != nil {
		t.Fatalf("peer read: %v", err)
	}
	for i := range got {
		if got[i] != sent[i] {
			t.Fatalf("byte %d of %d differs", i, len(sent))
		}
	}
}

// A stream read in bulk (Reads that return data, one after another) leads
// the session's reading like a request/response stream: its next Read that
// waits reads the transport itself. A Write ends the run: the next Read
// waits without leading until the stream shows a pattern again.
func TestBulkReaderLeads(t *testing.T) {
	client, server := tcpPair(t, nil)
	c, s := openWith(t, client, server, "open")
	mustRead(t, s, "open")
	for _, chunk := range []string{"a", "b", "c"} {
		mustWrite(t, s, chunk)
		mustRead(t, c, chunk)
	}
	if !c.io.shown() {
		t.Fatal("three Reads in a row: the stream does not count as read in bulk")
	}
	d := client.drv.(*goroutineDriver)
	done := readAsync(c, 1)
	awaitRole(t, client, server, 1, 0)
	if r := d.rd.Load(); r.passive.Load() != 0 {
		t.Fatal("the bulk reader's Read waits without leading")
	}
	mustWrite(t, s, "d")
	if err := awaitErr(t, done); err != nil {
		t.Fatal(err)
	}

	mustWrite(t, c, "w") // the run ends
	if c.io.shown() {
		t.Fatal("the stream still counts as read in bulk after a Write")
	}
	done = readAsync(c, 1)
	awaitReaders(t, client, 1, true)
	mustWrite(t, s, "e")
	if err := awaitErr(t, done); err != nil {
		t.Fatal(err)
	}
}

// The grace timer exists as soon as the read role does: a look that finds
// the role taken and let go since re-arms it, however early it fires. (Made
// at the first release, it once fired before it was stored, and the look
// reset a nil timer.)
func TestGraceTimerMadeWithTheRole(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	d := &goroutineDriver{conn: a, quit: make(chan struct{})}
	r := d.newReadRole()
	defer r.grace.Stop()
	r.gen.Add(1) // a leader took the role and let it go
	d.graceFired()
	if !r.armed.Load() || r.period.Load() != 2*int64(readGrace) {
		t.Fatalf("after a look that found the role taken since: armed %v, period %v; want true, %v",
			r.armed.Load(), time.Duration(r.period.Load()), 2*readGrace)
	}
}
