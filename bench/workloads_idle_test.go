package bench

import (
	"fmt"
	"io"
	"net"
	"runtime"
)

// idleMsgSize is the size of the one exchange that makes both ends really
// hold an idle stream.
const idleMsgSize = 8

// fdReserve is the number of file descriptors left for everything but the
// idle streams or sessions.
const fdReserve = 256

// idleStreams measures what an open, idle stream costs: one op opens
// j.sz.idleStreams (10,000) streams on one session, each with one small
// exchange, then, after a GC, reports the heap growth (B/stream), the
// goroutine stack growth (stack-B/stream) and the goroutines added per
// stream, both ends together. The clock runs only while opening.
func idleStreams(j job) {
	count := j.sz.idleStreams
	if j.im.connPerStream {
		count = fitDescriptors(j.b, count, 2)
	}
	j.b.StopTimer()
	var sum growth
	for range j.n {
		sum = sum.plus(idleStreamsOnce(j, count))
	}
	sum.report(j.b, j.n, "stream")
}

// idleStreamsOnce holds count idle streams on a new session pair and
// returns the growth per stream.
func idleStreamsOnce(j job, count int) growth {
	r := newRig(j)
	defer r.finish()
	c, s := r.pair(options{streams: count})
	clients := make([]net.Conn, 0, count)
	held, measured := make(chan struct{}), make(chan struct{})
	r.holdServers(count, func() (session, bool) { return s, true }, held, measured)

	before := measure()
	j.b.StartTimer()
	msg, reply := patternAt(0, idleMsgSize), make([]byte, idleMsgSize)
	for i := range count {
		st := r.open(c)
		clients = append(clients, st)
		if err := exchange(st, msg, reply); err != nil {
			r.fatalf("%s: stream %d: %v", r.im.name, i, err)
		}
	}
	r.await(held, "hold streams")
	j.b.StopTimer()
	after := measure()
	close(measured)
	runtime.KeepAlive(clients)
	return after.perUnit(before, count)
}

// idleSessions measures what an idle session costs: one op builds
// j.sz.idleSessions (1,000) session pairs, each over its own TCP connection
// with one stream and one small exchange, then, after a GC, reports heap
// growth, goroutine stack growth and goroutines per session pair (both
// ends, their connections and the stream). The clock runs only while
// building.
func idleSessions(j job) {
	count := j.sz.idleSessions
	fds := 2 // the two ends of the TCP connection
	if j.im.connPerStream {
		fds = 3 // and the raw-TCP "session"'s listener
	}
	count = fitDescriptors(j.b, count, fds)
	j.b.StopTimer()
	var sum growth
	for range j.n {
		sum = sum.plus(idleSessionsOnce(j, count))
	}
	sum.report(j.b, j.n, "session")
}

// idleSessionsOnce holds count idle session pairs, one stream each, and
// returns the growth per pair.
func idleSessionsOnce(j job, count int) growth {
	r := newRig(j)
	defer r.finish()
	r.reserve(count)
	pending := make(chan session, count)
	clients := make([]net.Conn, 0, count)
	held, measured := make(chan struct{}), make(chan struct{})
	r.holdServers(count, func() (session, bool) {
		select {
		case s := <-pending:
			return s, true
		case <-r.downCh:
			return nil, false
		}
	}, held, measured)

	before := measure()
	j.b.StartTimer()
	msg, reply := patternAt(0, idleMsgSize), make([]byte, idleMsgSize)
	for i := range count {
		c, s := r.pair(options{})
		pending <- s
		st := r.open(c)
		clients = append(clients, st)
		if err := exchange(st, msg, reply); err != nil {
			r.fatalf("%s: session %d: %v", r.im.name, i, err)
		}
	}
	r.await(held, "hold sessions")
	j.b.StopTimer()
	after := measure()
	close(measured)
	runtime.KeepAlive(clients)
	return after.perUnit(before, count)
}

// holdServers starts the one holder goroutine that accepts a stream from
// each of count server ends (next yields them; false: the rig is going
// down), answers it and keeps it, so the harness adds no goroutine per
// stream or session. It closes held once all are held and lives, holding
// them, until measured is closed.
func (r *rig) holdServers(count int, next func() (session, bool), held, measured chan struct{}) {
	r.spawn(func() error {
		servers := make([]net.Conn, 0, count)
		for range count {
			s, ok := next()
			if !ok {
				return nil
			}
			st, err := s.Accept()
			if err != nil {
				return fmt.Errorf("%s: accept: %w", r.im.name, err)
			}
			servers = append(servers, st)
			if err := answer(st); err != nil {
				return fmt.Errorf("%s: %w", r.im.name, err)
			}
		}
		close(held)
		select {
		case <-measured:
		case <-r.downCh:
		}
		runtime.KeepAlive(servers)
		return nil
	})
}

// answer reads the idle exchange's message on st and echoes it.
func answer(st net.Conn) error {
	var buf [idleMsgSize]byte
	if _, err := io.ReadFull(st, buf[:]); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if _, err := st.Write(buf[:]); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// snapshot is the live heap, the goroutine stacks in use and the goroutine
// count at one moment.
type snapshot struct {
	heap, stack uint64
	goroutines  int
}

// measure collects garbage twice (the second empties sync.Pool victim
// caches, so pooled buffers are not counted as held) and takes a snapshot.
func measure() snapshot {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return snapshot{heap: m.HeapAlloc, stack: m.StackInuse, goroutines: runtime.NumGoroutine()}
}

// growth is what holding something costs, per unit held.
type growth struct{ heap, stack, goroutines float64 }

// perUnit returns the growth from before to s, per unit.
func (s snapshot) perUnit(before snapshot, units int) growth {
	delta := func(after, before uint64) float64 { return float64(int64(after) - int64(before)) }
	return growth{
		heap:       delta(s.heap, before.heap) / float64(units),
		stack:      delta(s.stack, before.stack) / float64(units),
		goroutines: float64(s.goroutines-before.goroutines) / float64(units),
	}
}

// plus returns the sum of g and h.
func (g growth) plus(h growth) growth {
	return growth{g.heap + h.heap, g.stack + h.stack, g.goroutines + h.goroutines}
}

// report reports g, a sum over ops, as means per unit: "B/<unit>" (heap,
// from MemStats.HeapAlloc), "stack-B/<unit>" (MemStats.StackInuse, which
// HeapAlloc leaves out) and "goroutines/<unit>".
func (g growth) report(b bencher, ops int, unit string) {
	b.ReportMetric(g.heap/float64(ops), "B/"+unit)
	b.ReportMetric(g.stack/float64(ops), "stack-B/"+unit)
	b.ReportMetric(g.goroutines/float64(ops), "goroutines/"+unit)
}

// fitDescriptors returns want, or fewer if want units of fdsPer file
// descriptors each would not fit under the process limit, saying so.
func fitDescriptors(tb bencher, want, fdsPer int) int {
	limit := fdLimit()
	if want*fdsPer+fdReserve <= limit {
		return want
	}
	n := max(1, (limit-fdReserve)/fdsPer)
	tb.Logf("file descriptor limit %d: holding %d instead of %d", limit, n, want)
	return n
}
