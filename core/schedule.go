package core

import "slices"

// Priority orders what a session sends (RFC 9218's model, local only:
// nothing of it goes on the wire). Control frames always go first; then
// streams of lower Urgency before higher. Within one urgency,
// non-incremental streams are sent one at a time in id order (each
// finishes what it has queued before the next starts), then incremental
// streams share the bandwidth round robin.
type Priority struct {
	Urgency     uint8 // 0 (most urgent) to 7; larger values count as 7
	Incremental bool  // share bandwidth with the urgency's other incremental streams
}

// DefaultPriority is every stream's priority until SetPriority: all
// streams share the session round robin.
var DefaultPriority = Priority{Urgency: 3, Incremental: true}

// scheduler orders the streams that have frames queued: Output takes a
// buffer from each stream in the order pop returns them. It belongs to the
// send queue, under its lock.
type scheduler interface {
	push(st *Stream)   // st has frames queued and is not in the scheduler
	pop() *Stream      // the next stream to send from; nil if none
	remove(st *Stream) // take st out (its priority changes)
	empty() bool
}

// priorityScheduler implements Priority: one level per urgency, each with
// its non-incremental streams in id order and its incremental ones in
// round-robin order.
type priorityScheduler struct {
	levels [8]level
	n      int // streams in all levels
}

type level struct {
	byID       []*Stream // non-incremental, a min-heap on id
	roundRobin fifo      // incremental
}

func (p *priorityScheduler) push(st *Stream) {
	prio := st.tx.prio
	l := &p.levels[min(prio.Urgency, 7)]
	if prio.Incremental {
		l.roundRobin.push(st)
	} else {
		l.byID = heapPush(l.byID, st)
	}
	p.n++
}

func (p *priorityScheduler) pop() *Stream {
	if p.n == 0 {
		return nil
	}
	for i := range p.levels {
		l := &p.levels[i]
		var st *Stream
		switch {
		case len(l.byID) > 0:
			st, l.byID = heapPop(l.byID)
		case !l.roundRobin.empty():
			st = l.roundRobin.pop()
		default:
			continue
		}
		p.n--
		return st
	}
	return nil
}

func (p *priorityScheduler) remove(st *Stream) {
	l := &p.levels[min(st.tx.prio.Urgency, 7)]
	if st.tx.prio.Incremental {
		l.roundRobin.remove(st)
	} else {
		i := slices.Index(l.byID, st)
		l.byID = slices.Delete(l.byID, i, i+1)
		heapInit(l.byID)
	}
	p.n--
}

func (p *priorityScheduler) empty() bool { return p.n == 0 }

// fifo is a queue of streams that reuses its array.
type fifo struct {
	items []*Stream
	head  int
}

func (f *fifo) push(st *Stream) { f.items = append(f.items, st) }

func (f *fifo) empty() bool { return f.head == len(f.items) }

// peek returns the stream pop would return; the queue must not be empty.
func (f *fifo) peek() *Stream { return f.items[f.head] }

func (f *fifo) pop() *Stream {
	st := f.items[f.head]
	f.items[f.head] = nil
	f.head++
	switch {
	case f.head == len(f.items):
		f.items, f.head = f.items[:0], 0
	case f.head > len(f.items)/2 && f.head >= 32:
		n := copy(f.items, f.items[f.head:])
		clear(f.items[n:])
		f.items, f.head = f.items[:n], 0
	}
	return st
}

// remove takes st out of the queue, keeping the others' order.
func (f *fifo) remove(st *Stream) {
	i := f.head + slices.Index(f.items[f.head:], st)
	f.items = slices.Delete(f.items, i, i+1)
	if f.empty() {
		f.items, f.head = f.items[:0], 0
	}
}

// heapPush adds st to a min-heap of streams ordered by id.
func heapPush(h []*Stream, st *Stream) []*Stream {
	h = append(h, st)
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if h[parent].id <= h[i].id {
			break
		}
		h[parent], h[i] = h[i], h[parent]
		i = parent
	}
	return h
}

// heapPop removes the stream with the lowest id from a min-heap.
func heapPop(h []*Stream) (*Stream, []*Stream) {
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = nil
	h = h[:last]
	siftDown(h, 0)
	return top, h
}

// heapInit orders any slice of streams as a min-heap on id.
func heapInit(h []*Stream) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		siftDown(h, i)
	}
}

// siftDown moves h[i] down to its place in the min-heap.
func siftDown(h []*Stream, i int) {
	for {
		small, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && h[l].id < h[small].id {
			small = l
		}
		if r < len(h) && h[r].id < h[small].id {
			small = r
		}
		if small == i {
			return
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
}
