package bench

import (
	"fmt"
	"net"
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
	size := min(bulkWrite, j.sz.bulkBytes)
	chunks := j.sz.bulkBytes / size
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
