package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Buffer sizes of the harness's own reads. Both handlers below use plain
// Read/Write loops rather than io.Copy so that every implementation sees the
// same calls: io.Copy would take WriteTo/ReadFrom fast paths that some
// streams have and others lack, and allocate 32 KiB per stream otherwise.
const (
	drainBufSize = 64 << 10
	echoBufSize  = 4 << 10
)

var (
	drainBufs = sync.Pool{New: func() any { b := make([]byte, drainBufSize); return &b }}
	echoBufs  = sync.Pool{New: func() any { b := make([]byte, echoBufSize); return &b }}
)

// echo writes back everything c sends until EOF.
func echo(c net.Conn) error {
	bp := echoBufs.Get().(*[]byte)
	defer echoBufs.Put(bp)
	buf := *bp
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return fmt.Errorf("echo write: %w", werr)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("echo read: %w", err)
		}
	}
}

// echoQuiet is echo for workloads that count failures themselves (Burst):
// a reset stream is the client's to report, not a harness failure.
func echoQuiet(c net.Conn) error {
	echo(c)
	return nil
}

// drain reads c to EOF, verifying that it carries the stream pattern, and
// returns the byte count.
func drain(c net.Conn) (int64, error) {
	d, err := drainMarked(c, -1)
	return d.n, err
}

// drained is what drainMarked saw: n bytes in all, the last of them at end;
// the read that took the count to mark bytes or more returned at markAt,
// when markN bytes had arrived.
type drained struct {
	n, markN    int64
	markAt, end time.Time
}

// drainMarked is drain, also noting when the count first reached mark
// bytes (never if mark < 0) and when EOF came.
func drainMarked(c net.Conn, mark int64) (drained, error) {
	bp := drainBufs.Get().(*[]byte)
	defer drainBufs.Put(bp)
	buf := *bp
	var v verifier
	var d drained
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if verr := v.check(buf[:n]); verr != nil {
				return drained{n: v.off}, verr
			}
			if mark >= 0 && d.markAt.IsZero() && v.off >= mark {
				d.markAt, d.markN = time.Now(), v.off
			}
		}
		if errors.Is(err, io.EOF) {
			d.n, d.end = v.off, time.Now()
			return d, nil
		}
		if err != nil {
			return drained{n: v.off}, fmt.Errorf("drain read after %d bytes: %w", v.off, err)
		}
	}
}

// drainTo returns a handler that drains each stream and sends its verified
// byte count on out.
func drainTo(r *rig, out chan<- int64) func(net.Conn) error {
	return func(c net.Conn) error {
		n, err := drain(c)
		if err != nil {
			return fmt.Errorf("%s: %w", r.im.name, err)
		}
		send(r, out, n)
		return nil
	}
}

// drainMarkedTo is drainTo for drainMarked.
func drainMarkedTo(r *rig, mark int64, out chan<- drained) func(net.Conn) error {
	return func(c net.Conn) error {
		d, err := drainMarked(c, mark)
		if err != nil {
			return fmt.Errorf("%s: %w", r.im.name, err)
		}
		send(r, out, d)
		return nil
	}
}

// sendPattern writes chunks of size bytes of the stream pattern to c, then
// closes c so the peer reads EOF.
func sendPattern(c net.Conn, chunks, size int) error {
	w := patternWriter{size: size}
	for i := 0; i < chunks; i++ {
		if _, err := c.Write(w.next()); err != nil {
			c.Close()
			return fmt.Errorf("write after %d bytes: %w", int64(i)*int64(size), err)
		}
	}
	return c.Close()
}

// exchange sends msg on c and checks that the echo comes back unchanged;
// reply is scratch space of len(msg).
func exchange(c net.Conn, msg, reply []byte) error {
	if _, err := c.Write(msg); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if _, err := io.ReadFull(c, reply); err != nil {
		return fmt.Errorf("read echo: %w", err)
	}
	if !bytes.Equal(reply, msg) {
		return errors.New("echo differs from message")
	}
	return nil
}
