package bench

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// patternPeriod is the length of the repeating payload pattern. It is prime,
// so no write or read size lines up with it and a reordered, lost or
// duplicated chunk always shows up as a mismatch.
const patternPeriod = 1<<17 - 1

// patternBytes holds two periods of pseudo-random bytes, so any window of
// up to one period is one contiguous slice. It is computed once and never
// written after.
var patternBytes = sync.OnceValue(func() []byte {
	p := make([]byte, 2*patternPeriod)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range patternPeriod {
		p[i] = byte(rng.Uint32())
	}
	copy(p[patternPeriod:], p[:patternPeriod])
	return p
})

// patternAt returns the n bytes a stream carries from offset off on; n must
// not exceed patternPeriod. The slice is shared: callers must not modify it.
func patternAt(off int64, n int) []byte {
	o := int(off % patternPeriod)
	return patternBytes()[o : o+n]
}

// patternWriter writes the stream pattern in chunks of a fixed size.
type patternWriter struct {
	off  int64
	size int
}

// next returns the next chunk to write.
func (w *patternWriter) next() []byte {
	p := patternAt(w.off, w.size)
	w.off += int64(w.size)
	return p
}

// verifier checks that a stream's bytes are the pattern, in order.
type verifier struct{ off int64 }

// check verifies b as the next bytes of the stream.
func (v *verifier) check(b []byte) error {
	for len(b) > 0 {
		k := min(len(b), patternPeriod)
		if !bytes.Equal(b[:k], patternAt(v.off, k)) {
			return fmt.Errorf("payload corrupt in stream bytes [%d, %d)", v.off, v.off+int64(k))
		}
		v.off += int64(k)
		b = b[k:]
	}
	return nil
}

func TestPattern(t *testing.T) {
	const size = 64 << 10
	w := patternWriter{size: size}
	var stream []byte
	for range 5 {
		stream = append(stream, w.next()...)
	}

	// Verifying in read sizes unrelated to the write size passes.
	for _, chunk := range []int{1, 1000, size, patternPeriod, len(stream)} {
		var v verifier
		for rest := stream; len(rest) > 0; {
			k := min(chunk, len(rest))
			if err := v.check(rest[:k]); err != nil {
				t.Fatalf("chunk %d: %v", chunk, err)
			}
			rest = rest[k:]
		}
		if v.off != int64(len(stream)) {
			t.Fatalf("chunk %d: verified %d bytes, want %d", chunk, v.off, len(stream))
		}
	}

	// A swapped pair of chunks, a flipped bit and a lost chunk all fail.
	swapped := append(append(append([]byte{}, stream[size:2*size]...), stream[:size]...), stream[2*size:]...)
	flipped := append([]byte{}, stream...)
	flipped[3*size+17] ^= 1
	lost := append(append([]byte{}, stream[:size]...), stream[2*size:]...)
	for name, bad := range map[string][]byte{"swapped": swapped, "flipped": flipped, "lost": lost} {
		var v verifier
		if err := v.check(bad); err == nil {
			t.Errorf("%s stream verified", name)
		}
	}
}
