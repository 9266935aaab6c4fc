package evloop_test

import (
	"io"
	"testing"

	"github.com/netmux/netmux/internal/conformance"
)

// The cross-implementation benchmarks live in bench/ (entry
// "netmux-gnet"); these two isolate the driver's own costs: wake-up
// latency (a round trip on one stream) and bulk throughput (one stream).
// Both ends run on event loops.

// BenchmarkRoundTrip measures one 64-byte request and its echo.
func BenchmarkRoundTrip(b *testing.B) {
	c, s := gnetPair(b, newListener(b, nil), newClient(b, nil))
	a, z := conformance.OpenPair(b, c, s)
	go io.Copy(z, z)
	msg, reply := make([]byte, 64), make([]byte, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := a.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(a, reply); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	a.Close()
}

// BenchmarkBulk measures one stream carrying 64 KiB writes.
func BenchmarkBulk(b *testing.B) {
	c, s := gnetPair(b, newListener(b, nil), newClient(b, nil))
	a, z := conformance.OpenPair(b, c, s)
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, z)
		done <- err
	}()
	msg := make([]byte, 64<<10)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := a.Write(msg); err != nil {
			b.Fatal(err)
		}
	}
	a.CloseWrite()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	a.Close()
}
