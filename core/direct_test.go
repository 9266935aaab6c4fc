package core

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/netmux/netmux/core/frame"
)

// Long Data payloads are read from the socket straight into the stream's
// buffer or a waiting Read's (Session.payloadSpace): these tests drive a
// session over loopback TCP with hand-written frames, splitting payloads
// so that the rest of a frame arrives while the session waits for it.

// directPeer starts a server session over loopback TCP and returns it with
// the raw client end, which the test writes frames to. What the session
// sends back is read and dropped.
func directPeer(t *testing.T) (*Session, net.Conn) {
	t.Helper()
	c, s := loopbackTCP(t)
	cfg := DefaultConfig()
	cfg.KeepAliveInterval = 0
	sess, err := Server(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	drained := make(chan struct{})
	go func() {
		io.Copy(io.Discard, c)
		close(drained)
	}()
	t.Cleanup(func() {
		sess.Close()
		c.Close()
		<-drained
	})
	return sess, c
}

// pattern returns n bytes that differ from position to position.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

func writeRaw(t *testing.T, c net.Conn, b []byte) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(roleTimeout))
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
}

func dataHeader(flags frame.Flags, id, n uint32) []byte {
	return frame.AppendHeader(nil, frame.Header{Version: frame.Version, Type: frame.TypeData, Flags: flags, StreamID: id, Length: n})
}

func acceptWithin(t *testing.T, sess *Session) *Stream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), roleTimeout)
	defer cancel()
	st, err := sess.AcceptStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Payloads that arrive in pieces reach the reader whole and in order,
// whatever the size of its reads, and (on Linux) most of them without
// passing through the session's read buffer.
func TestDirectReadLongFrames(t *testing.T) {
	sess, c := directPeer(t)
	const frameLen = 64 << 10
	data := pattern(3 * frameLen)

	// The first frame's header and a little of its payload: the rest is
	// still to come when the session has dispatched it.
	writeRaw(t, c, append(dataHeader(frame.FlagSYN, 1, frameLen), data[:1000]...))
	st := acceptWithin(t, sess)
	st.SetReadDeadline(time.Now().Add(roleTimeout))
	got := make([]byte, 0, len(data))
	buf := make([]byte, 100<<10)
	n, err := io.ReadFull(st, buf[:1000])
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, buf[:n]...)

	// The rest of it in pieces, then two whole frames, the last with FIN.
	done := make(chan error, 1)
	go func() {
		for _, size := range []int{1 << 10, 64 << 10, 16 << 10} { // Read sizes, in turn
			for i := 0; ; i++ {
				n, err := st.Read(buf[:size])
				got = append(got, buf[:n]...)
				if err != nil {
					done <- err
					return
				}
				if i == 3 {
					break
				}
			}
		}
		for {
			n, err := st.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				done <- err
				return
			}
		}
	}()
	for off := 1000; off < frameLen; off += 9000 {
		writeRaw(t, c, data[off:min(off+9000, frameLen)])
	}
	writeRaw(t, c, append(dataHeader(0, 1, frameLen), data[frameLen:2*frameLen]...))
	writeRaw(t, c, append(dataHeader(frame.FlagFIN, 1, frameLen), data[2*frameLen:]...))

	if err := <-done; err != io.EOF {
		t.Fatalf("Read ended with %v, want io.EOF", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, not the %d sent (or out of order)", len(got), len(data))
	}
	direct := sess.Stats().BytesInDirect
	if runtime.GOOS == "linux" && direct < frameLen {
		t.Fatalf("BytesInDirect = %d; want at least one frame's payload (%d) read straight through", direct, frameLen)
	}
	t.Logf("%d of %d payload bytes read straight through", direct, len(data))
}

// A Read whose deadline passes while its buffer waits for the rest of a
// payload returns os.ErrDeadlineExceeded without losing a byte: the
// payload that comes afterwards is read in order.
func TestDirectReadDeadline(t *testing.T) {
	sess, c := directPeer(t)
	const frameLen = 64 << 10
	data := pattern(frameLen)
	writeRaw(t, c, append(dataHeader(frame.FlagSYN|frame.FlagFIN, 1, frameLen), data[:1000]...))
	st := acceptWithin(t, sess)
	buf := make([]byte, frameLen)
	st.SetReadDeadline(time.Now().Add(roleTimeout))
	if _, err := io.ReadFull(st, buf[:1000]); err != nil {
		t.Fatal(err)
	}

	st.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if n, err := st.Read(buf[1000:]); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read = %d, %v; want 0, deadline exceeded", n, err)
	}
	st.SetReadDeadline(time.Now().Add(roleTimeout))
	writeRaw(t, c, data[1000:])
	if _, err := io.ReadFull(st, buf[1000:]); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf, data) {
		t.Fatal("payload changed or reordered around the deadline")
	}
	if n, err := st.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read after the payload = %d, %v; want 0, io.EOF", n, err)
	}
}

// A large Write goes out straight from its buffer when nothing else is
// being written, in frames no larger than MaxFrameSize and in order with
// the small Write and the FIN that follow it.
func TestDirectWriteLarge(t *testing.T) {
	client, server := tcpPair(t, nil)
	checkDirectWrite(t, client, server)
	if direct := client.Stats().BytesOutDirect; runtime.GOOS == "linux" && direct == 0 {
		t.Fatal("BytesOutDirect = 0: no Write went out straight from its buffer")
	}
}

// When the socket takes only part of a large Write, the rest is copied and
// goes on from the writer goroutine: the Write returns at once and the
// peer still gets every byte in order.
func TestDirectWriteSocketFull(t *testing.T) {
	// (A receive buffer this small too can stall loopback TCP itself.)
	client, server := tcpPair(t, func(c, _ *net.TCPConn) { c.SetWriteBuffer(4 << 10) })
	checkDirectWrite(t, client, server)
	st := client.Stats()
	if runtime.GOOS == "linux" && (st.BytesOutDirect == 0 || st.BytesOutDirect >= 1<<20) {
		t.Fatalf("BytesOutDirect = %d; want some but not all of 1 MiB through a 4 KiB socket buffer", st.BytesOutDirect)
	}
}

// checkDirectWrite writes 1 MiB in one Write, then 10 bytes, then closes
// the stream for writing, and checks what the peer reads.
func checkDirectWrite(t *testing.T, client, server *Session) {
	t.Helper()
	c, s := openWith(t, client, server, "open") // the SYN goes out before the large Write
	want := append([]byte("open"), pattern(1<<20)...)
	want = append(want, "0123456789"...)
	done := make(chan []byte, 1)
	go func() {
		s.SetReadDeadline(time.Now().Add(roleTimeout))
		got, err := io.ReadAll(s)
		if err != nil {
			t.Error(err)
		}
		done <- got
	}()
	c.SetWriteDeadline(time.Now().Add(roleTimeout))
	if n, err := c.Write(want[4 : 4+1<<20]); n != 1<<20 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	mustWrite(t, c, "0123456789")
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if got := <-done; !bytes.Equal(got, want) {
		t.Fatalf("peer read %d bytes, not the %d written (or out of order)", len(got), len(want))
	}
	if out := client.Stats().BytesOut; out < uint64(len(want)) {
		t.Fatalf("BytesOut = %d, below the %d payload bytes written", out, len(want))
	}
}

// A leading Read (a stream in request/response) takes long replies
// straight from the socket too, and its own delivery does not leave its
// next read interrupted for nothing.
func TestDirectReadLeader(t *testing.T) {
	client, server := tcpPair(t, nil)
	cs, ss := rrStreams(t, client, server, 1)
	c, s := cs[0], ss[0]
	reply := pattern(200 << 10)
	got := make([]byte, len(reply))
	req, reqIn := make([]byte, 100), make([]byte, 100)
	for round := range 5 {
		errc := make(chan error, 1)
		go func() {
			s.SetDeadline(time.Now().Add(roleTimeout))
			if _, err := io.ReadFull(s, reqIn); err != nil {
				errc <- err
				return
			}
			_, err := s.Write(reply)
			errc <- err
		}()
		c.SetDeadline(time.Now().Add(roleTimeout))
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if err := <-errc; err != nil {
			t.Fatalf("round %d: server: %v", round, err)
		}
		if !bytes.Equal(got, reply) {
			t.Fatalf("round %d: reply changed", round)
		}
	}
	if runtime.GOOS == "linux" && client.Stats().BytesInDirect == 0 {
		t.Fatal("BytesInDirect = 0: no reply was read straight through")
	}
}
