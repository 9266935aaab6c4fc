package core_test

import (
	"context"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
)

// benchPair returns the two ends of one stream of a session pair over
// net.Pipe with the default configuration, closed when b ends.
func benchPair(b *testing.B) (client, server *core.Stream) {
	b.Helper()
	c1, c2 := net.Pipe()
	cs, ss := startPair(b, c1, c2, nil)
	a, err := cs.OpenStream(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	s, err := ss.AcceptStream(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	return a, s
}

// benchWrite measures one stream's throughput with writes of size bytes
// while the other end drains it.
func benchWrite(b *testing.B, size int) {
	w, r := benchPair(b)
	drained := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, r)
		drained <- err
	}()
	buf := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := w.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	w.CloseWrite()
	if err := <-drained; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStreamWrite64K is bulk transfer on one stream, 64 KiB writes.
func BenchmarkStreamWrite64K(b *testing.B) { benchWrite(b, 64<<10) }

// BenchmarkStreamWrite1K is one stream carrying 1 KiB writes.
func BenchmarkStreamWrite1K(b *testing.B) { benchWrite(b, 1<<10) }

// BenchmarkRequestResponse is a 64-byte ping-pong on one stream: one op is
// a request written and its reply read.
func BenchmarkRequestResponse(b *testing.B) {
	c, s := benchPair(b)
	served := make(chan error, 1)
	go func() {
		buf := make([]byte, 64)
		for {
			if _, err := io.ReadFull(s, buf); err != nil {
				if err == io.EOF {
					err = nil
				}
				served <- err
				return
			}
			if _, err := s.Write(buf); err != nil {
				served <- err
				return
			}
		}
	}()
	req, resp := make([]byte, 64), make([]byte, 64)
	b.SetBytes(64)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, resp); err != nil {
			b.Fatal(err)
		}
	}
	c.CloseWrite()
	if err := <-served; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRRUnderBulk is the 64-byte ping-pong of BenchmarkRequestResponse
// on one stream while 64 other streams of the same session write as fast
// as they can, over net.Pipe (so that what queues is the session's, not a
// kernel's socket buffers): one op is one round trip of the interactive
// stream. "default" leaves every stream at DefaultPriority
// (round robin); "urgent" gives the interactive stream urgency 0. It
// reports the round trip's median and 99th percentile in µs.
func BenchmarkRRUnderBulk(b *testing.B) {
	for _, urgent := range []bool{false, true} {
		name := "default"
		if urgent {
			name = "urgent"
		}
		b.Run(name, func(b *testing.B) { benchRRUnderBulk(b, urgent) })
	}
}

func benchRRUnderBulk(b *testing.B, urgent bool) {
	const bulkStreams = 64
	c1, c2 := net.Pipe() // no kernel buffers: the queueing measured is the session's
	cs, ss := startPair(b, c1, c2, nil)
	var wg sync.WaitGroup
	defer func() { // the sessions first: their end stops every goroutine
		cs.Close()
		ss.Close()
		wg.Wait()
	}()
	// The server echoes the first stream and drains the others.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for first := true; ; first = false {
			st, err := ss.AcceptStream(context.Background())
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if first {
					io.Copy(st, st)
				} else {
					io.Copy(io.Discard, st)
				}
			}()
		}
	}()
	rr, err := cs.OpenStream(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	if urgent {
		rr.SetPriority(core.Priority{Urgency: 0})
	}
	chunk := make([]byte, 64<<10)
	for range bulkStreams {
		st, err := cs.OpenStream(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, err := st.Write(chunk); err != nil {
					return
				}
			}
		}()
	}
	req, resp := make([]byte, 64), make([]byte, 64)
	lat := make([]time.Duration, 0, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := rr.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(rr, resp); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
