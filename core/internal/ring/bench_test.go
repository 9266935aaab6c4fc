package ring

import (
	"sync"
	"testing"
)

// benchWriteRead writes size bytes and reads them back on one goroutine.
// Every iteration drains the ring, so it also measures the release of the
// last chunk and the fresh hand-off of the next one.
func benchWriteRead(b *testing.B, size int) {
	data := randBytes(1, size)
	buf := make([]byte, size)
	var q Ring
	b.ReportAllocs()
	b.SetBytes(int64(size))
	for b.Loop() {
		q.Write(data)
		if n := q.Read(buf); n != size {
			b.Fatalf("Read = %d, want %d", n, size)
		}
	}
	if q.HoldsMemory() {
		b.Fatal("drained ring holds memory")
	}
}

func BenchmarkWriteRead1K(b *testing.B)  { benchWriteRead(b, 1<<10) }
func BenchmarkWriteRead64K(b *testing.B) { benchWriteRead(b, 64<<10) }

// BenchmarkSPSC measures throughput with a producer goroutine writing 16 KiB
// pieces and a consumer reading into a 16 KiB buffer, under a 4 MiB window.
func BenchmarkSPSC(b *testing.B) {
	const piece = 16 << 10
	data := randBytes(2, piece)
	var q Ring
	l := newLink()
	b.ReportAllocs()
	b.SetBytes(piece)
	b.ResetTimer()
	total := b.N * piece
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := sender{l: l, q: &q, limit: 4 << 20}
		for range b.N {
			if !s.write(data) {
				return
			}
		}
	}()
	defer wg.Wait()
	defer close(l.stop)
	r := receiver{l: l}
	buf := make([]byte, piece)
	for got := 0; got < total; {
		n := q.Read(buf)
		if n == 0 {
			r.wait()
			continue
		}
		got += n
		r.consumed(n)
	}
}
