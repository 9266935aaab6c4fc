package ring

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// randBytes returns n deterministic pseudo-random bytes.
func randBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// scaled returns n, or n/10 in short mode or under the race detector.
func scaled(n int) int {
	if testing.Short() || raceEnabled {
		return n / 10
	}
	return n
}

// checkIdle asserts the sequential-use invariant: the ring owns a chunk
// exactly when it has unread bytes.
func checkIdle(t *testing.T, q *Ring, want int) {
	t.Helper()
	if got := q.Buffered(); got != want {
		t.Fatalf("Buffered() = %d, want %d", got, want)
	}
	if got := q.HoldsMemory(); got != (want > 0) {
		t.Fatalf("HoldsMemory() = %v with %d bytes buffered", got, want)
	}
}

// readAll reads n bytes from q in pieces of at most piece bytes and returns
// them, checking Buffered and HoldsMemory as it goes. q must hold at least n
// bytes.
func readAll(t *testing.T, q *Ring, n, piece int) []byte {
	t.Helper()
	left := q.Buffered() - n // checked by checkIdle below
	out := make([]byte, 0, n)
	buf := make([]byte, piece)
	for len(out) < n {
		want := min(piece, n-len(out))
		k := q.Read(buf[:want])
		if k != want {
			t.Fatalf("Read(%d bytes) after %d of %d = %d", want, len(out), n, k)
		}
		out = append(out, buf[:k]...)
		checkIdle(t, q, n+left-len(out))
	}
	return out
}

func TestEmpty(t *testing.T) {
	var q Ring
	checkIdle(t, &q, 0)
	buf := make([]byte, 64)
	if n := q.Read(buf); n != 0 {
		t.Fatalf("Read on empty ring = %d", n)
	}
	if n := q.Read(nil); n != 0 {
		t.Fatalf("Read(nil) on empty ring = %d", n)
	}
	if n := q.Discard(); n != 0 {
		t.Fatalf("Discard on empty ring = %d", n)
	}
	q.Write(nil)
	q.Write([]byte{})
	checkIdle(t, &q, 0)
	if n := q.Read(buf); n != 0 {
		t.Fatalf("Read after empty writes = %d", n)
	}
	checkIdle(t, &q, 0)
}

func TestSmall(t *testing.T) {
	var q Ring
	q.Write([]byte("hello"))
	checkIdle(t, &q, 5)
	buf := make([]byte, 3)
	if n := q.Read(buf); n != 3 || string(buf) != "hel" {
		t.Fatalf("Read = %d %q", n, buf[:n])
	}
	checkIdle(t, &q, 2)
	if n := q.Read(nil); n != 0 {
		t.Fatalf("Read(nil) = %d", n)
	}
	checkIdle(t, &q, 2) // a zero-length read of a non-empty ring keeps the chunk
	q.Write([]byte(", world"))
	checkIdle(t, &q, 9)
	buf = make([]byte, 100)
	if n := q.Read(buf); n != 9 || string(buf[:n]) != "lo, world" {
		t.Fatalf("Read = %d %q", n, buf[:n])
	}
	checkIdle(t, &q, 0)
	if n := q.Read(buf); n != 0 {
		t.Fatalf("Read on drained ring = %d", n)
	}
	checkIdle(t, &q, 0)
}

var sizes = []int{1, 2, chunkSize - 1, chunkSize, chunkSize + 1, 2*chunkSize - 1, 2 * chunkSize, 2*chunkSize + 1, 64 << 10, 100_000, 1 << 20, 1<<20 + 1}

var pieces = []int{1, 7, 4096, chunkSize - 1, chunkSize, chunkSize + 1, 3 * chunkSize, 100_000, 1 << 20}

// TestOneWriteManyReads writes one block of each size and reads it back in
// pieces of each size.
func TestOneWriteManyReads(t *testing.T) {
	for _, size := range sizes {
		for _, piece := range pieces {
			if piece == 1 && size > 1<<16 && (testing.Short() || raceEnabled) {
				continue
			}
			t.Run(fmt.Sprintf("size=%d/piece=%d", size, piece), func(t *testing.T) {
				data := randBytes(uint64(size*31+piece), size)
				var q Ring
				q.Write(data)
				checkIdle(t, &q, size)
				if got := readAll(t, &q, size, piece); !bytes.Equal(got, data) {
					t.Fatal("data mismatch")
				}
				checkIdle(t, &q, 0)
			})
		}
	}
}

// TestManyWritesOneRead writes in pieces of each size (so writes start and
// end on every kind of chunk offset) and reads everything back.
func TestManyWritesOneRead(t *testing.T) {
	const total = 3<<20 + 12345
	data := randBytes(1, total)
	for _, piece := range pieces {
		for _, rpiece := range []int{5000, chunkSize, 1 << 20, total} {
			t.Run(fmt.Sprintf("write=%d/read=%d", piece, rpiece), func(t *testing.T) {
				n := total
				if piece == 1 && (testing.Short() || raceEnabled) {
					n = 3*chunkSize + 123 // byte-at-a-time writes: a few chunks suffice
				}
				var q Ring
				for off := 0; off < n; off += piece {
					q.Write(data[off:min(off+piece, n)])
				}
				checkIdle(t, &q, n)
				if got := readAll(t, &q, n, rpiece); !bytes.Equal(got, data[:n]) {
					t.Fatal("data mismatch")
				}
			})
		}
	}
}

// TestChunkBoundaryDrains drains the ring exactly at chunk boundaries, where
// the consumer's head is a full chunk with no successor, then keeps going.
func TestChunkBoundaryDrains(t *testing.T) {
	var q Ring
	data := randBytes(2, 10*chunkSize)
	pos := 0
	step := func(n int) {
		t.Helper()
		q.Write(data[pos : pos+n])
		if got := readAll(t, &q, n, n); !bytes.Equal(got, data[pos:pos+n]) {
			t.Fatalf("mismatch at %d+%d", pos, n)
		}
		pos += n
	}
	step(chunkSize)     // fill exactly one chunk, drain, retire
	step(1)             // new chunk after retire
	step(chunkSize - 1) // fills it exactly
	step(2 * chunkSize) // two exact chunks
	step(chunkSize + 1)
	step(chunkSize - 1)
	checkIdle(t, &q, 0)

	// Boundary without a drain: write a full chunk, read half, write more
	// (links the next chunk), read across.
	var p Ring
	p.Write(data[:chunkSize])
	got := readAll(t, &p, chunkSize/2, chunkSize/2)
	p.Write(data[chunkSize : 2*chunkSize])
	got = append(got, readAll(t, &p, chunkSize+chunkSize/2, 1000)...)
	if !bytes.Equal(got, data[:2*chunkSize]) {
		t.Fatal("mismatch across boundary")
	}
	checkIdle(t, &p, 0)
}

func TestDiscard(t *testing.T) {
	for _, size := range sizes {
		for _, pre := range []int{0, 1, chunkSize} {
			if pre > size {
				continue
			}
			t.Run(fmt.Sprintf("size=%d/read=%d", size, pre), func(t *testing.T) {
				var q Ring
				data := randBytes(uint64(size), size)
				q.Write(data)
				if pre > 0 {
					if got := readAll(t, &q, pre, pre); !bytes.Equal(got, data[:pre]) {
						t.Fatal("mismatch before discard")
					}
				}
				if n := q.Discard(); n != size-pre {
					t.Fatalf("Discard = %d, want %d", n, size-pre)
				}
				checkIdle(t, &q, 0)
				if n := q.Discard(); n != 0 {
					t.Fatalf("second Discard = %d", n)
				}
				// The ring works normally after a discard.
				more := randBytes(uint64(size)+1, 3*chunkSize+5)
				q.Write(more)
				if got := readAll(t, &q, len(more), 10000); !bytes.Equal(got, more) {
					t.Fatal("mismatch after discard")
				}
				checkIdle(t, &q, 0)
			})
		}
	}
}

// TestRetireCycles drains the ring completely over and over, so every write
// after the first in a cycle goes through the retire / fresh hand-off.
func TestRetireCycles(t *testing.T) {
	cycles := scaled(20000)
	rng := rand.New(rand.NewPCG(3, 4))
	data := randBytes(5, 4*chunkSize)
	var q Ring
	for i := range cycles {
		var n int
		switch i % 4 {
		case 0:
			n = 1 + rng.IntN(64)
		case 1:
			n = 1 + rng.IntN(len(data))
		case 2:
			n = chunkSize * (1 + rng.IntN(3))
		default:
			n = chunkSize*(1+rng.IntN(3)) + rng.IntN(3) - 1
		}
		off := rng.IntN(len(data) - n + 1)
		// Sometimes split the write so a cycle has several writes.
		if cut := rng.IntN(n + 1); cut > 0 && cut < n && i%3 == 0 {
			q.Write(data[off : off+cut])
			q.Write(data[off+cut : off+n])
		} else {
			q.Write(data[off : off+n])
		}
		checkIdle(t, &q, n)
		piece := 1 + rng.IntN(2*chunkSize)
		if i%5 == 0 {
			piece = n
		}
		if got := readAll(t, &q, n, piece); !bytes.Equal(got, data[off:off+n]) {
			t.Fatalf("cycle %d: mismatch (n=%d piece=%d)", i, n, piece)
		}
		checkIdle(t, &q, 0)
		if i%7 == 0 {
			if k := q.Read(make([]byte, 10)); k != 0 {
				t.Fatalf("cycle %d: read %d from drained ring", i, k)
			}
			checkIdle(t, &q, 0)
		}
	}
}

// TestModel runs a random sequence of writes, reads and discards against a
// plain byte slice model.
func TestModel(t *testing.T) {
	steps := scaled(50000)
	rng := rand.New(rand.NewPCG(6, 7))
	src := randBytes(8, 1<<20)
	var q Ring
	var model []byte
	buf := make([]byte, 5*chunkSize)
	size := func() int {
		switch rng.IntN(4) {
		case 0:
			return rng.IntN(16)
		case 1:
			return chunkSize + rng.IntN(5) - 2
		default:
			return rng.IntN(len(buf) + 1)
		}
	}
	for i := range steps {
		switch op := rng.IntN(12); {
		case op < 5:
			n := size()
			off := rng.IntN(len(src) - n + 1)
			q.Write(src[off : off+n])
			model = append(model, src[off:off+n]...)
		case op < 7:
			// A vectored read into reserved space that fills some of it.
			n := size()
			k := rng.IntN(n + 1)
			off := rng.IntN(len(src) - n + 1)
			if got := fillReserved(q.Reserve(nil, n), src[off:off+k]); got != n {
				t.Fatalf("step %d: Reserve(%d) gave %d bytes of space", i, n, got)
			}
			q.Commit(k)
			model = append(model, src[off:off+k]...)
		case op < 11:
			n := q.Read(buf[:size()])
			want := min(n, len(model))
			if !bytes.Equal(buf[:n], model[:want]) {
				t.Fatalf("step %d: read %d bytes, mismatch", i, n)
			}
			model = model[n:]
		default:
			if n := q.Discard(); n != len(model) {
				t.Fatalf("step %d: Discard = %d, want %d", i, n, len(model))
			}
			model = model[:0]
		}
		if len(model) == 0 {
			model = nil // do not let the model grow without bound
		}
		checkIdle(t, &q, len(model))
	}
}

// fillReserved copies p into the start of the space Reserve returned, as a
// vectored read would, and returns the size of that space.
func fillReserved(space [][]byte, p []byte) int {
	total := 0
	for _, b := range space {
		p = p[copy(b, p):]
		total += len(b)
	}
	return total
}

// TestRingsSharePool interleaves several rings so that chunks one ring
// releases are immediately reused by another: a ring that kept using a
// released chunk would see another ring's bytes.
func TestRingsSharePool(t *testing.T) {
	const nrings = 4
	var rings [nrings]Ring
	var models [nrings][]byte
	var srcs [nrings][]byte
	for k := range srcs {
		srcs[k] = randBytes(uint64(20+k), 4*chunkSize)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	buf := make([]byte, 3*chunkSize)
	for i := range scaled(20000) {
		k := rng.IntN(nrings)
		q := &rings[k]
		if rng.IntN(2) == 0 {
			n := 1 + rng.IntN(2*chunkSize)
			off := rng.IntN(len(srcs[k]) - n + 1)
			q.Write(srcs[k][off : off+n])
			models[k] = append(models[k], srcs[k][off:off+n]...)
		} else {
			n := q.Read(buf[:rng.IntN(len(buf)+1)])
			if !bytes.Equal(buf[:n], models[k][:n]) {
				t.Fatalf("step %d ring %d: mismatch", i, k)
			}
			models[k] = models[k][n:]
		}
		checkIdle(t, q, len(models[k]))
	}
}
