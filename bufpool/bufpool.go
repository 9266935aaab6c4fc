// Package bufpool holds the buffer pools netmux uses on its data paths:
// what the core and a driver need to encode frames and read from a
// transport without allocating per operation.
//
//   - Pool: variable-size Buffers that calibrate to the sizes they see and
//     drop rare outliers (github.com/valyala/bytebufferpool underneath).
//     It fits buffers whose sizes are alike, such as batches of 12-byte
//     control frames. Keep one Pool per kind of use.
//   - Slabs: variable-size buffers in fixed size classes, never calibrated,
//     for stream frame buffers, whose sizes range from one empty SYN frame
//     to several full frames: a busy stream's large buffer is always
//     recycled rather than dropped as an outlier.
//   - Chunks (GetChunk/PutChunk, 16 KiB) back the per-stream receive rings;
//     Large buffers (GetLarge/PutLarge, 64 KiB) the goroutine driver's bulk
//     reads. Their size never varies, so a plain sync.Pool recycles them.
package bufpool

import (
	"sync"

	"github.com/valyala/bytebufferpool"
)

// Buffer is a variable-size pooled byte buffer: append to B. A Buffer
// from a Pool goes back to that Pool, one from Slabs to Slabs.
type Buffer struct {
	B []byte
}

// Pool is a pool of variable-size Buffers that calibrates to the sizes it
// sees. The zero value is ready to use.
type Pool struct{ p bytebufferpool.Pool }

// Get returns an empty Buffer. Return it with Put when no slice of it is in
// use any more.
func (p *Pool) Get() *Buffer { return (*Buffer)(p.p.Get()) }

// Put returns b to the pool. b must not be used afterwards.
func (p *Pool) Put(b *Buffer) { p.p.Put((*bytebufferpool.ByteBuffer)(b)) }

// ChunkSize is the size of a Chunk: 16 KiB, a quarter of a default frame,
// large enough that bulk copies are efficient, small enough that a stream
// holding a few bytes wastes little.
const ChunkSize = 16 << 10

// Chunk is a fixed-size buffer, one link of a stream's receive ring.
type Chunk [ChunkSize]byte

var chunks = sync.Pool{New: func() any { return new(Chunk) }}

// GetChunk returns a chunk with unspecified contents.
func GetChunk() *Chunk { return chunks.Get().(*Chunk) }

// PutChunk returns c to the pool. c must not be used afterwards.
func PutChunk(c *Chunk) { chunks.Put(c) }

// LargeSize is the size of a Large buffer, 64 KiB. A read buffer need not
// hold a whole frame: the engine's Input takes payload as it arrives.
const LargeSize = 64 << 10

// Large is a fixed-size buffer for a driver's bulk reads.
type Large [LargeSize]byte

var larges = sync.Pool{New: func() any { return new(Large) }}

// GetLarge returns a large buffer with unspecified contents.
func GetLarge() *Large { return larges.Get().(*Large) }

// PutLarge returns b to the pool. b must not be used afterwards.
func PutLarge(b *Large) { larges.Put(b) }

// slabClasses are the capacities Slabs pools: powers of four from 4 KiB,
// each with 1 KiB of slack so that a buffer of N full frames plus their
// headers still fits the class of N frames.
var slabClasses = [...]int{4<<10 + 1<<10, 16<<10 + 1<<10, 64<<10 + 1<<10, 256<<10 + 1<<10, 1<<20 + 1<<10, 4<<20 + 1<<10}

// Slabs pools Buffers in fixed size classes. Unlike Pool it never
// calibrates, so a buffer of a rare large size is recycled as readily as a
// common small one: a busy stream's frame buffer comes back at once
// instead of being dropped and reallocated (measured: with Pool, a
// 1024-stream bulk transfer allocated ~500 MB per 256 MiB moved once
// calibrated against the many small SYN/ACK/FIN buffers). Buffers beyond
// the largest class are not pooled. The zero value is ready to use.
type Slabs struct{ pools [len(slabClasses)]sync.Pool }

// Get returns an empty Buffer with room for at least n bytes.
func (s *Slabs) Get(n int) *Buffer {
	for i, c := range slabClasses {
		if n <= c {
			if b, ok := s.pools[i].Get().(*Buffer); ok {
				return b
			}
			return &Buffer{B: make([]byte, 0, c)}
		}
	}
	return &Buffer{B: make([]byte, 0, n)}
}

// Grow returns a Buffer holding b's bytes with room for n more: b itself if
// it has the room, else a larger one (b goes back to the pool). A nil b
// is an empty buffer.
func (s *Slabs) Grow(b *Buffer, n int) *Buffer {
	if b == nil {
		return s.Get(n)
	}
	if cap(b.B)-len(b.B) >= n {
		return b
	}
	nb := s.Get(len(b.B) + n)
	nb.B = append(nb.B, b.B...)
	s.Put(b)
	return nb
}

// Put returns b to the pool of its class; b must not be used afterwards.
func (s *Slabs) Put(b *Buffer) {
	for i, c := range slabClasses {
		if cap(b.B) == c {
			b.B = b.B[:0]
			s.pools[i].Put(b)
			return
		}
	}
}
