package frame_test

import (
	"testing"

	"github.com/netmux/netmux/core/frame"
)

// Sinks keep the compiler from optimising benchmarked work away.
var (
	sinkHeader  frame.Header
	sinkBytes   []byte
	sinkInt     int
	sinkErr     error
	sinkEncoded [frame.HeaderSize]byte
)

var benchHeader = frame.Header{Version: frame.Version, Type: frame.TypeData, Flags: frame.FlagFIN, StreamID: 12345, Length: 1024}

func BenchmarkEncodeHeader(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(frame.HeaderSize)
	h := benchHeader
	var buf [frame.HeaderSize]byte
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.StreamID = uint32(i)
		frame.PutHeader(&buf, h)
	}
	sinkEncoded = buf
}

func BenchmarkAppendHeader(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(frame.HeaderSize)
	h := benchHeader
	buf := make([]byte, 0, frame.HeaderSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.StreamID = uint32(i)
		buf = frame.AppendHeader(buf[:0], h)
	}
	sinkBytes = buf
}

func BenchmarkDecodeHeader(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(frame.HeaderSize)
	buf := frame.AppendHeader(nil, benchHeader)
	var (
		h   frame.Header
		err error
	)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, _ = frame.ParseHeader(buf)
		err = frame.Validate(h, frame.DefaultMaxFrameSize)
	}
	sinkHeader, sinkErr = h, err
}

func BenchmarkDecodeData(b *testing.B) {
	b.ReportAllocs()
	buf := append(frame.AppendHeader(nil, benchHeader), make([]byte, 1024)...)
	b.SetBytes(int64(len(buf)))
	var (
		h   frame.Header
		p   []byte
		n   int
		err error
	)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, p, n, err = frame.Decode(buf, frame.DefaultMaxFrameSize)
	}
	if err != nil || n != len(buf) {
		b.Fatalf("Decode = %d, %v", n, err)
	}
	sinkHeader, sinkBytes, sinkInt = h, p, n
}

// streamBuffer returns many mixed frames back to back, as a session reads
// them: data of assorted sizes with window updates, pings and stream flags.
func streamBuffer() []byte {
	sizes := []int{0, 1, 17, 100, 512, 1024, 1460, 4096, 16384}
	var buf []byte
	for i := 0; i < 256; i++ {
		id := uint32(1 + 2*(i%8))
		switch i % 8 {
		case 0:
			buf = frame.AppendHeader(buf, frame.Header{Version: 1, Type: frame.TypeData, Flags: frame.FlagSYN, StreamID: id})
		case 3:
			buf = frame.AppendHeader(buf, frame.Header{Version: 1, Type: frame.TypeWindowUpdate, StreamID: id, Length: 128 << 10})
		case 5:
			buf = frame.AppendHeader(buf, frame.Header{Version: 1, Type: frame.TypePing, Flags: frame.FlagACK, Length: uint32(i)})
		case 7:
			buf = frame.AppendHeader(buf, frame.Header{Version: 1, Type: frame.TypeData, Flags: frame.FlagFIN, StreamID: id})
		default:
			n := sizes[i%len(sizes)]
			buf = frame.AppendHeader(buf, frame.Header{Version: 1, Type: frame.TypeData, StreamID: id, Length: uint32(n)})
			buf = append(buf, make([]byte, n)...)
		}
	}
	return buf
}

func BenchmarkDecodeStream(b *testing.B) {
	b.ReportAllocs()
	buf := streamBuffer()
	b.SetBytes(int64(len(buf)))
	var (
		h      frame.Header
		p      []byte
		frames int
	)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for rest := buf; len(rest) > 0; {
			var (
				n   int
				err error
			)
			h, p, n, err = frame.Decode(rest, frame.DefaultMaxFrameSize)
			if err != nil || n == 0 {
				b.Fatalf("Decode = %d, %v", n, err)
			}
			rest = rest[n:]
			frames++
		}
	}
	sinkHeader, sinkBytes, sinkInt = h, p, frames
}
