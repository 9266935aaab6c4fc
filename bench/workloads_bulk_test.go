package bench

import (
	"fmt"
	"net"
	"time"
)

// bulkWrite is the write size of the large-write workloads.
const bulkWrite = 64 << 10

// bulk1 measures single-stream throughput: one stream, 64 KiB writes,
// receiver verifying every byte. One op is one write.
func bulk1(j job) { bulkSteady(j, 1, bulkWrite) }

// bulk1Small measures per-write overhead: one stream, 1 KiB writes.
func bulk1Small(j job) { bulkSteady(j, 1, 1<<10) }

// bulkN64 measures aggregate throughput and scheduling under contention:
// j.sz.streams (64) streams writing 64 KiB chunks at once. One op is one
// write on every stream.
func bulkN64(j job) { bulkSteady(j, j.sz.streams, bulkWrite) }

// bulkSteady opens streams, then writes j.n chunks of size bytes of the
// stream pattern on each of them concurrently; the server verifies and
// counts every stream's bytes. The clock runs from the first write to the
// last stream's EOF.
func bulkSteady(j job, streams, size int) {
	r := newRig(j)
	defer r.finish()
	c, s := r.pair(options{streams: streams})
	counts := make(chan int64, streams)
	r.serve(s, drainTo(r, counts))
	conns := make([]net.Conn, streams)
	for i := range conns {
		conns[i] = r.open(c)
	}

	j.b.SetBytes(int64(streams) * int64(size))
	j.b.ResetTimer()
	cpu := startCPU()
	for _, st := range conns {
		r.spawn(func() error {
			if err := sendPattern(st, j.n, size); err != nil {
				return fmt.Errorf("%s: %w", r.im.name, err)
			}
			return nil
		})
	}
	want := int64(j.n) * int64(size)
	for range streams {
		if got := receive(r, counts, "drain"); got != want {
			r.fatalf("%s: a stream delivered %d bytes, want %d", r.im.name, got, want)
		}
	}
	cpu.reportPerGiB(j.b, int64(streams)*want)
	j.b.StopTimer()
}

// bulkN1024 measures many concurrent transfers on one session, as in a busy
// proxy: each op opens j.sz.bulkStreams (1024) streams at once, each sends
// j.sz.bulkBytes (256 KiB) in 64 KiB writes and closes; the op ends when the
// server has verified them all. Adapters raise accept limits to the stream
// count (see options).
func bulkN1024(j job) {
	streams := j.sz.bulkStreams
	size, chunks := bulkWrites(j.sz.bulkBytes)
	want := int64(chunks) * int64(size)

	r := newRig(j)
	defer r.finish()
	c, s := r.pair(options{streams: streams})
	counts := make(chan int64, streams)
	r.serve(s, drainTo(r, counts))

	j.b.SetBytes(int64(streams) * want)
	j.b.ResetTimer()
	cpu := startCPU()
	for range j.n {
		for range streams {
			r.spawn(func() error {
				st, err := c.Open()
				if err != nil {
					return fmt.Errorf("%s: open: %w", r.im.name, err)
				}
				if err := sendPattern(st, chunks, size); err != nil {
					return fmt.Errorf("%s: %w", r.im.name, err)
				}
				return nil
			})
		}
		for range streams {
			if got := receive(r, counts, "drain"); got != want {
				r.fatalf("%s: a stream delivered %d bytes, want %d", r.im.name, got, want)
			}
		}
	}
	cpu.reportPerGiB(j.b, int64(j.n)*int64(streams)*want)
	j.b.StopTimer()
}

// bulkWrites splits a transfer of total bytes into chunks writes of size
// bytes: 64 KiB writes, or one smaller write if total is less. A remainder
// below 64 KiB is not sent.
func bulkWrites(total int) (size, chunks int) {
	size = min(bulkWrite, total)
	return size, total / size
}

// highRTT32M measures one stream over a long fat link: loopback with
// j.sz.rtt (50 ms) of round trip added by a delaying relay, bandwidth not
// limited. One op moves j.sz.rttBytes (32 MiB) on one stream of a fresh
// session pair, so window growth starts from nothing every time, before any
// RTT sample; the clock runs from the first write to the receiver's
// verified EOF. It also reports steady-MB/s, the receiver's rate over each
// transfer's second half (from the read that passed half the bytes to
// EOF), when a window that grows has had the first half to do so: with
// windows of 16 MiB, that half is a round trip's worth. Runs on
// highRTTImpls.
func highRTT32M(j job) { highRTT(j, j.sz.rttBytes, true) }

// highRTT8M is highRTT32M moving j.sz.rttBytesShort (8 MiB), where how
// fast the window opens matters most. Its second half may come in one
// burst, so it reports no steady rate.
func highRTT8M(j job) { highRTT(j, j.sz.rttBytesShort, false) }

// unitSteady is the metric of highRTT32M's second half.
const unitSteady = "steady-MB/s"

// highRTT runs j.n transfers of total bytes, each on its own session pair
// over a link adding j.sz.rtt; only the transfers are timed. With steady,
// it reports the receiver's rate over the transfers' second halves.
func highRTT(j job, total int, steady bool) {
	size, chunks := bulkWrites(total)
	want := int64(chunks) * int64(size)
	r := newRig(j)
	defer r.finish()
	j.b.SetBytes(want)
	j.b.StopTimer()
	j.b.ResetTimer()
	var halfBytes int64
	var halfTime time.Duration
	for range j.n {
		c, s := r.pair(options{rtt: j.sz.rtt})
		got := make(chan drained, 1)
		r.serve(s, drainMarkedTo(r, want/2, got))
		st := r.open(c)
		j.b.StartTimer()
		r.spawn(func() error {
			if err := sendPattern(st, chunks, size); err != nil {
				return fmt.Errorf("%s: %w", r.im.name, err)
			}
			return nil
		})
		d := receive(r, got, "drain")
		j.b.StopTimer()
		if d.n != want {
			r.fatalf("%s: the stream delivered %d bytes, want %d", r.im.name, d.n, want)
		}
		halfBytes += d.n - d.markN
		halfTime += d.end.Sub(d.markAt)
	}
	if steady && halfTime > 0 {
		j.b.ReportMetric(float64(halfBytes)/1e6/halfTime.Seconds(), unitSteady)
	}
}
