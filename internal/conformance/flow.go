package conformance

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// testFlowControl: a writer much faster than its reader moves more than a
// stream's largest window intact while the reader takes it in small
// pieces, and is held back by the window: it never gets further ahead than
// the window's ceiling.
func testFlowControl(t *testing.T, mk PairMaker) {
	const (
		// The reader takes at most burst bytes (readsPerNap reads of at
		// most readSize), then sleeps at least nap: at most 128 MB/s.
		readSize    = 4096
		readsPerNap = 32
		nap         = time.Millisecond
	)
	// Write waits for credit, so the writer is at most one receive window
	// ahead, and auto-tuning never grows a window past MaxStreamWindow.
	// How far it grows depends on the round trips the receiver measures,
	// which a busy machine stretches, so the ceiling is the bound that
	// always holds; the writer has half as much again to write, so one
	// that ignored credit would run well past it.
	ceiling := int64(core.DefaultConfig().MaxStreamWindow)
	total := int(ceiling * 3 / 2)
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
	buf := make([]byte, readSize)
	var read, ahead int64
	for reads := 0; ; reads++ {
		n, err := b.Read(buf[:1+rng.IntN(len(buf))])
		sum.Write(buf[:n])
		read += int64(n)
		ahead = max(ahead, written.Load()-read)
		if err != nil {
			if read != int64(total) {
				t.Fatalf("Read after %d of %d bytes: %v", read, total, err)
			}
			break
		}
		if reads%readsPerNap == readsPerNap-1 {
			time.Sleep(nap) // a reader far slower than its writer
		}
	}
	if err := await(t, wr, "writer"); err != nil {
		t.Fatalf("writer: %v", err)
	}
	if got, want := sum.Sum64(), Checksum(data); got != want {
		t.Fatalf("checksum %x; want %x", got, want)
	}
	t.Logf("writer ahead of the reader by at most %d KiB (bound %d KiB)", ahead>>10, ceiling>>10)
	if ahead > ceiling {
		t.Fatalf("writer got %d bytes ahead of a slow reader; flow control should hold it to the window (<= %d)", ahead, ceiling)
	}
}

// testHeadOfLine: a stream whose reader stalls with a full window does not
// slow another stream of the same session. After one untimed transfer,
// each round times 8 MiB over a fresh stream pair, first alone, then
// beside a stalled stream; the second transfer must take at most
// holSlowdown times the first. The bound is relative, so a slow transport
// or a busy machine moves both alike; one passing round of holRounds is
// enough, because noise slows single runs while a stream held up behind
// the stalled one is slow (or never ends) in every round.
func testHeadOfLine(t *testing.T, mk PairMaker) {
	const (
		total       = 8 << 20
		holRounds   = 3
		holSlowdown = 4
	)
	client, server := mk(t)
	data := Payload(32, total)
	timeTransfer(t, client, server, data) // warm up pools and windows
	for round := 1; ; round++ {
		alone := timeTransfer(t, client, server, data)
		stalled := stallStream(t, client, server)
		beside := timeTransfer(t, client, server, data)

		// The stalled stream still holds its data, untouched.
		expectWindowClosed(t, stalled, "the still-stalled stream")
		stalled.Reset()

		ratio := float64(beside) / float64(alone)
		t.Logf("round %d: 8 MiB in %v alone, %v beside a stalled stream (%.2fx)", round, alone, beside, ratio)
		if ratio <= holSlowdown {
			return
		}
		if round == holRounds {
			t.Fatalf("a stalled stream slowed another stream of its session more than %dx in each of %d rounds", holSlowdown, holRounds)
		}
	}
}

// stallStream opens a stream whose peer never reads and fills its window:
// Write takes the protocol's initial window, and not one byte more.
func stallStream(t *testing.T, client, server *core.Session) *core.Stream {
	t.Helper()
	st, _ := OpenPair(t, client, server)
	writeAll(t, st, Payload(31, frame.InitialWindow))
	expectWindowClosed(t, st, "a stream whose reader stalls")
	return st
}

// expectWindowClosed fails t unless a Write to st times out without
// queuing anything: st has no send credit left.
func expectWindowClosed(t *testing.T, st *core.Stream, what string) {
	t.Helper()
	st.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
	n, err := st.Write([]byte("x"))
	expectTimeout(t, err, "Write to "+what)
	if n != 0 {
		t.Fatalf("Write to %s queued %d bytes beyond its window", what, n)
	}
}

// timeTransfer moves data over a new stream pair, checks it arrives
// intact and is followed by EOF, and returns how long that took.
func timeTransfer(t *testing.T, client, server *core.Session, data []byte) time.Duration {
	t.Helper()
	a, b := OpenPair(t, client, server)
	defer a.Close()
	defer b.Close()
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
	return time.Since(start)
}
