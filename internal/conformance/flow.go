package conformance

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// testFlowControl: a writer much faster than its reader moves 16 MiB
// intact while the reader takes it in small pieces, and is held back by
// the window: it never gets more than a bounded amount ahead.
func testFlowControl(t *testing.T, mk PairMaker) {
	const total = 16 << 20
	// maxAhead bounds written-but-unread bytes. Write waits for credit, so
	// the gap is the receive window: 256 KiB, more only if auto-tuning saw
	// the reader keep up, which a slow reader does not (whatever the RTT
	// estimate: data piling up unread stops the window from growing).
	const maxAhead = 4 << 20
	client, server := mk(t)
	a, b := OpenPair(t, client, server)
	data := Payload(21, total)

	var written atomic.Int64
	wr := async(func() error {
		a.SetWriteDeadline(time.Now().Add(opTimeout))
		for off := 0; off < total; off += 64 << 10 {
			n, err := a.Write(data[off : off+64<<10])
			written.Add(int64(n))
			if err != nil {
				return err
			}
		}
		return a.CloseWrite()
	})

	b.SetReadDeadline(time.Now().Add(opTimeout))
	sum := NewChecksum()
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 4096)
	var read, ahead int64
	for reads := 0; ; reads++ {
		n, err := b.Read(buf[:1+rng.IntN(len(buf))])
		sum.Write(buf[:n])
		read += int64(n)
		ahead = max(ahead, written.Load()-read)
		if err != nil {
			if read != total {
				t.Fatalf("Read after %d of %d bytes: %v", read, total, err)
			}
			break
		}
		if reads%64 == 63 {
			time.Sleep(time.Millisecond) // a reader far slower than its writer
		}
	}
	if err := await(t, wr, "writer"); err != nil {
		t.Fatalf("writer: %v", err)
	}
	if got, want := sum.Sum64(), Checksum(data); got != want {
		t.Fatalf("checksum %x; want %x", got, want)
	}
	t.Logf("writer ahead of the reader by at most %d KiB", ahead>>10)
	if ahead > maxAhead {
		t.Fatalf("writer got %d bytes ahead of a slow reader; flow control should hold it to the window (< %d)", ahead, maxAhead)
	}
}

// testHeadOfLine: a stream whose reader stalls with a full window does not
// slow another stream of the same session, which moves 8 MiB.
func testHeadOfLine(t *testing.T, mk PairMaker) {
	const total = 8 << 20
	client, server := mk(t)
	stalled, _ := OpenPair(t, client, server) // its peer never reads
	a, b := OpenPair(t, client, server)

	// Fill the stalled stream's window: its Write has to give up.
	fill := Payload(31, 2<<20)
	stalled.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	n, err := stalled.Write(fill)
	expectTimeout(t, err, "Write to a stream whose reader stalls")
	t.Logf("stalled stream took %d KiB before its window closed", n>>10)

	data := Payload(32, total)
	start := time.Now()
	wr := async(func() error {
		a.SetWriteDeadline(time.Now().Add(opTimeout))
		if n, err := a.Write(data); err != nil {
			return fmt.Errorf("write = %d, %v", n, err)
		}
		return a.CloseWrite()
	})
	expectData(t, b, data)
	expectEOF(t, b)
	if err := await(t, wr, "writer"); err != nil {
		t.Fatalf("writer: %v", err)
	}
	elapsed := time.Since(start)
	t.Logf("8 MiB beside a stalled stream in %v (%.0f MiB/s)", elapsed, total/elapsed.Seconds()/(1<<20))

	// The stalled stream still holds its data, untouched.
	stalled.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
	_, err = stalled.Write([]byte("x"))
	expectTimeout(t, err, "Write to the still-stalled stream")
}
