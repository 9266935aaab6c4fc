package evloop_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
	"github.com/netmux/netmux/transport/evloop"
)

// TestFloodAfterViolation: a peer that overruns a stream's window gets
// GoAway(FlowControlError); when it then sends as fast as it can, the
// driver reads a bounded number of its bytes and closes the connection at
// once, not after WriteTimeout. A unix socket keeps the bytes in flight
// within the peer's send buffer, so what the peer managed to write bounds
// what the driver read.
func TestFloodAfterViolation(t *testing.T) {
	sc := core.DefaultConfig()
	sc.KeepAliveInterval = 0
	sc.WriteTimeout = time.Minute // the wait bounded below is far shorter
	const readBuf = 64 << 10
	path := filepath.Join(t.TempDir(), "mux.sock")
	cfg := sessionConfig(sc)
	cfg.EventLoops, cfg.ReadBufferCap = 1, readBuf
	ln, err := evloop.Listen("unix://"+path, cfg)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	nc, err := net.DialTimeout("unix", path, pairTimeout)
	if err != nil {
		t.Fatalf("net.Dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	sndbuf := sendBuffer(t, nc.(*net.UnixConn), 32<<10)
	ctx, cancel := context.WithTimeout(context.Background(), pairTimeout)
	defer cancel()
	s, err := ln.AcceptSession(ctx)
	if err != nil {
		t.Fatalf("AcceptSession: %v", err)
	}
	t.Cleanup(func() { s.Close() })

	goAway := make(chan error, 1)
	go func() { goAway <- readGoAway(nc, frame.CodeFlowControlError) }()

	// Stream 1's whole window, then one byte more.
	var wire []byte
	payload := make([]byte, sc.MaxFrameSize)
	flags := frame.FlagSYN
	for range frame.InitialWindow / sc.MaxFrameSize {
		h := frame.Header{Version: frame.Version, Type: frame.TypeData, Flags: flags, StreamID: 1, Length: uint32(len(payload))}
		wire = append(frame.AppendHeader(wire, h), payload...)
		flags = 0
	}
	h := frame.Header{Version: frame.Version, Type: frame.TypeData, StreamID: 1, Length: 1}
	wire = append(frame.AppendHeader(wire, h), 0)
	nc.SetWriteDeadline(time.Now().Add(pairTimeout))
	if _, err := nc.Write(wire); err != nil {
		t.Fatalf("writing the overrun: %v", err)
	}

	flooded := make(chan int, 1)
	go func() {
		nc.SetWriteDeadline(time.Time{})
		chunk, n := make([]byte, 64<<10), 0
		for {
			m, err := nc.Write(chunk)
			n += m
			if err != nil {
				flooded <- n
				return
			}
		}
	}()
	var n int
	select {
	case n = <-flooded:
	case <-time.After(20 * time.Second):
		t.Fatalf("connection still open 20s into a flood after the session failed (WriteTimeout %v)", sc.WriteTimeout)
	}
	// The driver read the rest of the read that held the violation, then
	// at most MaxDiscard bytes and one read more; the rest were still in
	// the peer's send buffer, which the kernel lets overshoot its size by
	// up to one message.
	if limit := evloop.MaxDiscard + 2*readBuf + 2*sndbuf; n > limit {
		t.Errorf("peer wrote %d bytes after the violation before the connection closed; want at most %d", n, limit)
	}
	if err := <-goAway; err != nil {
		t.Error(err)
	}
	var ga *core.GoAwayError
	if err := s.Err(); !errors.As(err, &ga) || ga.Remote || ga.Code != frame.CodeFlowControlError {
		t.Errorf("session ended with %v; want GoAway(FlowControlError) sent", err)
	}
}

// sendBuffer sets the send buffer of c to size and returns what the kernel
// made of it.
func sendBuffer(t *testing.T, c *net.UnixConn, size int) int {
	t.Helper()
	if err := c.SetWriteBuffer(size); err != nil {
		t.Fatalf("SetWriteBuffer: %v", err)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatalf("SyscallConn: %v", err)
	}
	var got int
	if err := rc.Control(func(fd uintptr) {
		got, err = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUF)
	}); err != nil {
		t.Fatalf("Control: %v", err)
	}
	if err != nil {
		t.Fatalf("getsockopt SO_SNDBUF: %v", err)
	}
	return got
}

// readGoAway reads frames from c until a GoAway, which must carry want,
// then reads on until the connection ends.
func readGoAway(c net.Conn, want frame.ErrorCode) error {
	r := bufio.NewReader(c)
	var hb [frame.HeaderSize]byte
	for {
		if _, err := io.ReadFull(r, hb[:]); err != nil {
			return fmt.Errorf("connection ended before a GoAway: %w", err)
		}
		h, _ := frame.ParseHeader(hb[:])
		if h.Type == frame.TypeGoAway {
			if code := frame.ErrorCode(h.Length); code != want {
				return fmt.Errorf("peer got GoAway(%v), want %v", code, want)
			}
			_, _ = io.Copy(io.Discard, r) // until end of stream or reset
			return nil
		}
		if _, err := r.Discard(h.PayloadLen()); err != nil {
			return fmt.Errorf("connection ended before a GoAway: %w", err)
		}
	}
}
