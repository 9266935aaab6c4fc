package bench

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"
)

// rrSize is the message size of the request-response workloads.
const rrSize = 64

// rr measures round-trip latency: 64-byte ping-pong on one stream against
// an echo server. One op is one round trip; p50/p99 are reported in µs.
func rr(j job) { roundTrips(j, 1) }

// rrN64 measures latency under concurrency: j.sz.streams (64) streams each
// doing 64-byte ping-pong at once. One op is one round trip on every
// stream; p50/p99 are over all round trips.
func rrN64(j job) { roundTrips(j, j.sz.streams) }

// roundTrips opens streams to an echo server, warms each up with one round
// trip (so accepting is not timed), then runs j.n timed round trips on each
// concurrently.
func roundTrips(j job, streams int) {
	r := newRig(j)
	defer r.finish()
	c, s := r.pair(options{streams: streams})
	r.serve(s, echo)

	conns := make([]net.Conn, streams)
	lats := make([]*latencies, streams)
	msg, reply := make([]byte, rrSize), make([]byte, rrSize)
	for i := range conns {
		conns[i] = r.open(c)
		lats[i] = newLatencies(min(j.n, maxSamples/streams))
		if err := exchange(conns[i], msg, reply); err != nil {
			r.fatalf("%s: warm-up: %v", r.im.name, err)
		}
	}

	j.b.ResetTimer()
	cpu := startCPU()
	r.runAll("round trips", streams, func(i int) error {
		if err := pingPong(conns[i], j.n, lats[i]); err != nil {
			return fmt.Errorf("%s: %w", r.im.name, err)
		}
		return nil
	})
	cpu.reportPerRoundTrip(j.b, int64(j.n)*int64(streams))
	j.b.StopTimer()
	reportLatency(j.b, lats...)
}

// pingPong does n round trips of rrSize bytes on c, each message stamped
// with its sequence number and checked on return, recording each in lat.
func pingPong(c net.Conn, n int, lat *latencies) error {
	msg, reply := make([]byte, rrSize), make([]byte, rrSize)
	copy(msg, patternAt(0, rrSize))
	for i := range n {
		binary.LittleEndian.PutUint64(msg, uint64(i))
		start := time.Now()
		if _, err := c.Write(msg); err != nil {
			return fmt.Errorf("round trip %d: write: %w", i, err)
		}
		if _, err := io.ReadFull(c, reply); err != nil {
			return fmt.Errorf("round trip %d: read: %w", i, err)
		}
		lat.add(time.Since(start))
		if !bytes.Equal(reply, msg) {
			return fmt.Errorf("round trip %d: echo differs from message", i)
		}
	}
	return nil
}
