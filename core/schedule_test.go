package core

import (
	"context"
	"slices"
	"testing"

	"github.com/netmux/netmux/core/frame"
)

// The scheduler serves lower urgencies first; within one urgency,
// non-incremental streams in id order, then incremental ones round robin.
func TestPrioritySchedulerOrder(t *testing.T) {
	mk := func(id uint32, urgency uint8, incremental bool) *Stream {
		return &Stream{id: id, tx: txState{prio: Priority{urgency, incremental}}}
	}
	var p priorityScheduler
	for _, st := range []*Stream{
		mk(9, 3, true), mk(7, 3, false), mk(5, 3, true), mk(3, 3, false),
		mk(11, 0, true), mk(13, 9, false), mk(1, 7, true), mk(15, 0, false),
	} {
		p.push(st)
	}
	var got []uint32
	for st := p.pop(); st != nil; st = p.pop() {
		got = append(got, st.id)
	}
	// 15, 11: urgency 0 (non-incremental first); 3, 7: urgency 3 by id;
	// 9, 5: urgency 3 round robin in arrival order; 13 and 1: urgency 7
	// (9 counts as 7), by id first.
	if want := []uint32{15, 11, 3, 7, 9, 5, 13, 1}; !slices.Equal(got, want) {
		t.Fatalf("pop order %v; want %v", got, want)
	}
	if !p.empty() {
		t.Fatal("scheduler not empty after popping everything")
	}
}

// The round-robin queue keeps its order across many pushes and pops while
// reusing its array.
func TestFIFOOrder(t *testing.T) {
	var f fifo
	next, want := uint32(0), uint32(0)
	for round := range 200 {
		for range round%7 + 1 {
			f.push(&Stream{id: next})
			next++
		}
		for range round%5 + 1 {
			if f.empty() {
				break
			}
			if st := f.pop(); st.id != want {
				t.Fatalf("popped %d; want %d", st.id, want)
			}
			want++
		}
	}
	for !f.empty() {
		if st := f.pop(); st.id != want {
			t.Fatalf("popped %d; want %d", st.id, want)
		}
		want++
	}
	if want != next {
		t.Fatalf("popped %d streams of %d", want, next)
	}
}

// An urgent stream's data is handed to the driver before the data other
// streams queued earlier; control frames still go first.
func TestUrgentStreamGoesFirst(t *testing.T) {
	e, s := newManualEngine(t)
	bulk, err := s.OpenStream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	urgent, err := s.OpenStream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	urgent.SetPriority(Priority{Urgency: 0})
	bulk.Write([]byte("bulk"))
	urgent.Write([]byte("urgent"))
	s.queueCtrl(frame.Header{Type: frame.TypePing, Length: 7})

	var want []byte
	want = frame.AppendHeader(want, frame.Header{Version: 1, Type: frame.TypePing, Length: 7})
	want = frame.AppendHeader(want, frame.Header{Version: 1, Type: frame.TypeData, Flags: frame.FlagSYN, StreamID: 3, Length: 6})
	want = append(want, "urgent"...)
	want = frame.AppendHeader(want, frame.Header{Version: 1, Type: frame.TypeData, Flags: frame.FlagSYN, StreamID: 1, Length: 4})
	want = append(want, "bulk"...)
	if got := drainOutput(e); string(got) != string(want) {
		t.Fatalf("output %x\nwant   %x (ping, the urgent stream, then the bulk one)", got, want)
	}
}

// Streams can leave the scheduler from anywhere (their priority changes);
// the rest keep their order.
func TestPrioritySchedulerRemove(t *testing.T) {
	var p priorityScheduler
	streams := map[uint32]*Stream{}
	for id := uint32(1); id <= 12; id++ {
		st := &Stream{id: id, tx: txState{prio: Priority{Urgency: 2, Incremental: id%2 == 0}}}
		streams[id] = st
		p.push(st)
	}
	for _, id := range []uint32{4, 1, 7, 12} {
		p.remove(streams[id])
	}
	var got []uint32
	for st := p.pop(); st != nil; st = p.pop() {
		got = append(got, st.id)
	}
	if want := []uint32{3, 5, 9, 11, 2, 6, 8, 10}; !slices.Equal(got, want) {
		t.Fatalf("pop order after removals %v; want %v", got, want)
	}
}
