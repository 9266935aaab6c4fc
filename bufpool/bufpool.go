// Package bufpool holds the buffer pools netmux uses on its data paths.
//
// Two kinds of buffer, two pools:
//
//   - Variable-size byte buffers (Get/Put) come from
//     github.com/valyala/bytebufferpool. They hold coalesced outbound frames,
//     whose size varies from one 12-byte control frame to a few frames of
//     payload; bytebufferpool calibrates to the sizes actually seen and drops
//     the rare outlier instead of letting it pin memory.
//   - Fixed-size chunks (GetChunk/PutChunk) back the per-stream receive
//     rings and read buffers. Their size never varies, so a plain sync.Pool
//     recycles every one of them; bytebufferpool's calibration would discard
//     exactly the large buffers a busy stream needs again at once.
package bufpool

import (
	"sync"

	"github.com/valyala/bytebufferpool"
)

// Buffer is a variable-size pooled byte buffer; append to its B field.
type Buffer = bytebufferpool.ByteBuffer

var buffers bytebufferpool.Pool

// Get returns an empty Buffer. Return it with Put when no slice of it is in
// use any more.
func Get() *Buffer { return buffers.Get() }

// Put returns b to the pool. b must not be used afterwards.
func Put(b *Buffer) { buffers.Put(b) }

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
