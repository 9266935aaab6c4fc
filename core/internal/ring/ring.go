// Package ring is the per-stream receive buffer: a lock-free single-producer,
// single-consumer byte queue built from pooled fixed-size chunks.
//
// The producer is the session's one inbound dispatcher; the consumer is the
// stream's reader (callers serialise concurrent reads). Neither side ever
// blocks or spins on the other: they share one atomic state word and a
// hand-off pointer. The ring has no capacity of its own; the stream's credit
// flow control bounds what the producer may write. A drained ring gives its
// last chunk back to the pool, so an idle stream holds no buffer.
package ring

import (
	"sync"
	"sync/atomic"

	"github.com/netmux/netmux/bufpool"
)

const (
	chunkSize = bufpool.ChunkSize

	// flagRetired: the consumer drained the ring and released its last
	// chunk; the producer must not touch its tail chunk again.
	flagRetired = 1
	// flagWriting: the producer is copying into its tail chunk; the
	// consumer must not release it meanwhile.
	flagWriting = 2
	posShift    = 2
)

// Ring is a byte queue for one producer and one consumer. The zero value is
// an empty ring holding no memory.
//
// Ownership: state and fresh are shared (atomics); tail belongs to the
// producer (Write); head and r belong to the consumer (Read, Discard,
// Buffered, HoldsMemory).
type Ring struct {
	// state is w<<posShift | flags, where w counts every byte ever written.
	state atomic.Uint64
	// fresh hands the producer's first chunk after a retire (or the very
	// first chunk) to the consumer.
	fresh atomic.Pointer[node]

	tail *node // producer's chunk being filled

	head *node  // consumer's chunk being read
	r    uint64 // bytes ever read
}

type node struct {
	buf   *bufpool.Chunk
	start uint64 // stream position of buf[0]
	next  atomic.Pointer[node]
}

var nodes = sync.Pool{New: func() any { return new(node) }}

func newNode(start uint64) *node {
	n := nodes.Get().(*node)
	n.buf = bufpool.GetChunk()
	n.start = start
	n.next.Store(nil)
	return n
}

func freeNode(n *node) {
	bufpool.PutChunk(n.buf)
	n.buf = nil
	nodes.Put(n)
}

// Write appends p to the ring and publishes it to the consumer. Producer
// only. It never blocks; memory is bounded by the caller's flow control.
func (q *Ring) Write(p []byte) {
	if len(p) == 0 {
		return
	}
	w := q.lockTail()
	for len(p) > 0 {
		off := w - q.tail.start
		if off == chunkSize {
			n := newNode(w)
			q.tail.next.Store(n)
			q.tail = n
			off = 0
		}
		k := copy(q.tail.buf[off:], p)
		p = p[k:]
		w += uint64(k)
	}
	q.state.Store(w << posShift) // publish; clears flagWriting and flagRetired
}

// Reserve makes room for up to n more bytes and appends that free space to
// dst, in order: the rest of the tail chunk, then new chunks. The producer
// fills a prefix of it (a vectored read, say), then must call Commit
// before anything else; nothing is visible to the consumer until then.
// Producer only.
func (q *Ring) Reserve(dst [][]byte, n int) [][]byte {
	w := q.lockTail()
	last := q.tail
	off := w - last.start
	for n > 0 {
		if off == chunkSize {
			next := newNode(last.start + chunkSize)
			last.next.Store(next) // beyond w: the consumer will not look yet
			last, off = next, 0
		}
		k := min(uint64(n), chunkSize-off)
		dst = append(dst, last.buf[off:off+k])
		n -= int(k)
		off += k
	}
	return dst
}

// Commit publishes the first n bytes of the space the last Reserve
// returned and gives back the chunks left unused. Producer only.
func (q *Ring) Commit(n int) {
	w := q.state.Load()>>posShift + uint64(n)
	for w-q.tail.start > chunkSize {
		q.tail = q.tail.next.Load()
	}
	// Still flagWriting: the consumer cannot release the tail meanwhile.
	for x := q.tail.next.Swap(nil); x != nil; {
		next := x.next.Load()
		freeNode(x)
		x = next
	}
	if n == 0 && w == q.tail.start && q.fresh.CompareAndSwap(q.tail, nil) {
		// Reserve made the first chunk of an empty ring and nothing came:
		// an idle ring holds no memory.
		freeNode(q.tail)
		q.tail = nil
	}
	q.state.Store(w << posShift) // publish; clears flagWriting and flagRetired
}

// lockTail marks the producer as writing, so that the consumer cannot
// release the tail chunk, makes sure there is one, and returns the write
// position.
func (q *Ring) lockTail() uint64 {
	var cur uint64
	for {
		// Only the consumer's retire can change state under us, and it
		// does so at most once per drain, so this loop ends quickly.
		cur = q.state.Load()
		if q.state.CompareAndSwap(cur, cur|flagWriting) {
			break
		}
	}
	w := cur >> posShift
	if cur&flagRetired != 0 || q.tail == nil {
		q.tail = newNode(w)
		q.fresh.Store(q.tail)
	}
	return w
}

// Read copies buffered bytes into p and returns how many. It returns 0 if
// the ring is empty. Consumer only.
func (q *Ring) Read(p []byte) int {
	w := q.state.Load() >> posShift
	n := 0
	for q.r < w && n < len(p) {
		n += q.consume(w, p[n:])
	}
	if q.r == w {
		q.release()
	}
	return n
}

// Discard drops every buffered byte and returns how many. Consumer only.
func (q *Ring) Discard() int {
	w := q.state.Load() >> posShift
	n := 0
	for q.r < w {
		n += q.consume(w, nil)
	}
	q.release()
	return n
}

// consume moves the read position forward within the current chunk, copying
// into p when p is not nil, and returns the bytes consumed. It requires
// q.r < w.
func (q *Ring) consume(w uint64, p []byte) int {
	if q.head == nil {
		q.head = q.fresh.Swap(nil)
	}
	off := q.r - q.head.start
	if off == chunkSize {
		// The producer linked the next chunk before writing past this one.
		next := q.head.next.Load()
		freeNode(q.head)
		q.head = next
		off = 0
	}
	end := min(w-q.head.start, chunkSize)
	k := int(end - off)
	if p != nil {
		k = copy(p, q.head.buf[off:end])
	}
	q.r += uint64(k)
	return k
}

// release gives the drained ring's last chunk back to the pool, unless the
// producer is writing into it right now (then the data it adds keeps the
// chunk in use). Consumer only.
func (q *Ring) release() {
	if q.head == nil {
		return
	}
	empty := q.r << posShift
	if q.state.CompareAndSwap(empty, empty|flagRetired) {
		// With w == r and no write in progress, head is the only chunk.
		freeNode(q.head)
		q.head = nil
	}
}

// Written returns the number of bytes ever written. Producer only.
func (q *Ring) Written() uint64 { return q.state.Load() >> posShift }

// Consumed returns the number of bytes ever read or discarded. Consumer
// only: the ring is empty when the producer's Written equals it.
func (q *Ring) Consumed() uint64 { return q.r }

// Buffered returns the number of bytes ready to read. Consumer only.
func (q *Ring) Buffered() int {
	return int(q.state.Load()>>posShift - q.r)
}

// HoldsMemory reports whether the ring currently owns a chunk. Consumer
// only; for tests and statistics.
func (q *Ring) HoldsMemory() bool {
	return q.head != nil || q.fresh.Load() != nil
}
