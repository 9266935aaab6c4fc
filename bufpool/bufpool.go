// Package bufpool holds the buffer pools netmux uses on its data paths.
//
//   - Pool: variable-size byte buffers from github.com/valyala/bytebufferpool,
//     which calibrates to the sizes it sees and drops rare outliers. It fits
//     buffers whose sizes are alike, such as batches of 12-byte control
//     frames. Keep one Pool per kind of use.
//   - Slabs: Links, chained buffers in fixed size classes, never
//     calibrated, for the frames a stream queues, which range from one empty
//     SYN frame to several full frames: a stream's chain grows by linking
//     larger links, never by copying, and a busy stream's large link is
//     always recycled rather than dropped as an outlier.
//   - Chunks (GetChunk/PutChunk, 16 KiB) back the per-stream receive rings;
//     Large buffers (GetLarge/PutLarge, 64 KiB) the goroutine driver's bulk
//     reads. Their size never varies, so a plain sync.Pool recycles them.
package bufpool

import (
	"sync"

	"github.com/valyala/bytebufferpool"
)

// Buffer is a variable-size pooled byte buffer; append to its B field.
type Buffer = bytebufferpool.ByteBuffer

// Pool is a pool of variable-size Buffers that calibrates to the sizes it
// sees. The zero value is ready to use.
type Pool struct{ p bytebufferpool.Pool }

// Get returns an empty Buffer. Return it with Put when no slice of it is in
// use any more.
func (p *Pool) Get() *Buffer { return p.p.Get() }

// Put returns b to the pool. b must not be used afterwards.
func (p *Pool) Put(b *Buffer) { p.p.Put(b) }

// ChunkSize is the size of a Chunk: 16 KiB, a quarter of a default frame,
// large enough that bulk copies are efficient, small enough that a stream
// holding a few bytes wastes little.
const ChunkSize = 16 << 10

// Chunk is a fixed-size buffer.
type Chunk [ChunkSize]byte

var chunks = sync.Pool{New: func() any { return new(Chunk) }}

// GetChunk returns a chunk with unspecified contents.
func GetChunk() *Chunk { return chunks.Get().(*Chunk) }

// PutChunk returns c to the pool. c must not be used afterwards.
func PutChunk(c *Chunk) { chunks.Put(c) }

// LargeSize is the size of a Large buffer: room for several maximum-size
// frames in one read.
const LargeSize = 64 << 10

// Large is a fixed-size buffer for bulk reads.
type Large [LargeSize]byte

var larges = sync.Pool{New: func() any { return new(Large) }}

// GetLarge returns a large buffer with unspecified contents.
func GetLarge() *Large { return larges.Get().(*Large) }

// PutLarge returns b to the pool. b must not be used afterwards.
func PutLarge(b *Large) { larges.Put(b) }

// slabClasses are the capacities Slabs pools: powers of four from 4 KiB,
// each with 1 KiB of slack so that N full frames plus their headers still
// fit the class of N frames.
var slabClasses = [...]int{4<<10 + 1<<10, 16<<10 + 1<<10, 64<<10 + 1<<10, 256<<10 + 1<<10, 1<<20 + 1<<10, 4<<20 + 1<<10}

// Link is one buffer of a chain: its bytes in B, which is appended to
// within its capacity and never grown, and the next link (nil at the end).
// A chain grows by linking a new Link, so bytes once written never move:
// a driver writes a chain as one vectored write of its links' B.
type Link struct {
	B    []byte
	Next *Link
}

// Slabs pools Links in fixed size classes. Unlike Pool it never
// calibrates, so a link of a rare large size is recycled as readily as a
// common small one: a busy stream's large link comes back at once instead
// of being dropped and reallocated (measured: with Pool, a 1024-stream bulk
// transfer allocated ~500 MB per 256 MiB moved once calibrated against the
// many small SYN/ACK/FIN buffers). The zero value is ready to use.
type Slabs struct{ pools [len(slabClasses)]sync.Pool }

// Get returns an empty Link with room for at least n bytes, or of the
// largest class (4 MiB + 1 KiB) if n is larger: link more for the rest.
func (s *Slabs) Get(n int) *Link {
	i := 0
	for i < len(slabClasses)-1 && n > slabClasses[i] {
		i++
	}
	if l, ok := s.pools[i].Get().(*Link); ok {
		return l
	}
	return &Link{B: make([]byte, 0, slabClasses[i])}
}

// PutChain returns l and the links after it to their pools; none of them
// may be used afterwards. A nil l is an empty chain.
func (s *Slabs) PutChain(l *Link) {
	for l != nil {
		next := l.Next
		l.B, l.Next = l.B[:0], nil
		for i, c := range slabClasses {
			if cap(l.B) == c {
				s.pools[i].Put(l)
				break
			}
		}
		l = next
	}
}
