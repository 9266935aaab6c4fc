package frame_test

import (
	"bytes"
	"math"
	"testing"

	"github.com/netmux/netmux/core/frame"
)

// wire returns the encoding of h followed by payload.
func wire(h frame.Header, payload []byte) []byte {
	return append(frame.AppendHeader(nil, h), payload...)
}

func dataHeader(flags frame.Flags, id, n uint32) frame.Header {
	return frame.Header{Version: frame.Version, Type: frame.TypeData, Flags: flags, StreamID: id, Length: n}
}

// decodeTests are valid single frames.
var decodeTests = []struct {
	name    string
	h       frame.Header
	payload []byte
}{
	{"data_syn_empty", dataHeader(frame.FlagSYN, 1, 0), nil},
	{"data_hello", dataHeader(0, 1, 5), []byte("hello")},
	{"data_syn_fin_payload", dataHeader(frame.FlagSYN|frame.FlagFIN, 3, 3), []byte("abc")},
	{"data_1k", dataHeader(0, 2, 1024), bytes.Repeat([]byte{0xa5}, 1024)},
	{"data_max", dataHeader(0, 5, frame.DefaultMaxFrameSize), make([]byte, frame.DefaultMaxFrameSize)},
	{"window_update_huge", frame.Header{Version: 1, Type: frame.TypeWindowUpdate, StreamID: 1, Length: math.MaxUint32}, nil},
	{"ping", frame.Header{Version: 1, Type: frame.TypePing, Length: 42}, nil},
	{"goaway", frame.Header{Version: 1, Type: frame.TypeGoAway, Length: uint32(frame.CodeTimeout)}, nil},
}

func TestDecodeSingle(t *testing.T) {
	for _, tt := range decodeTests {
		t.Run(tt.name, func(t *testing.T) {
			b := wire(tt.h, tt.payload)
			h, p, n, err := frame.Decode(b, frame.DefaultMaxFrameSize)
			if err != nil || n != len(b) || h != tt.h || !bytes.Equal(p, tt.payload) {
				t.Fatalf("Decode = %v, %d payload bytes, %d, %v; want %v, %d, %d, nil",
					h, len(p), n, err, tt.h, len(tt.payload), len(b))
			}
			if len(p) != h.PayloadLen() {
				t.Fatalf("len(payload) = %d, want PayloadLen %d", len(p), h.PayloadLen())
			}
		})
	}
}

func TestDecodeNeedMore(t *testing.T) {
	for _, tt := range decodeTests {
		t.Run(tt.name, func(t *testing.T) {
			b := wire(tt.h, tt.payload)
			for i := 0; i < len(b); i++ {
				h, p, n, err := frame.Decode(b[:i], frame.DefaultMaxFrameSize)
				if n != 0 || err != nil || p != nil {
					t.Fatalf("Decode(%d of %d bytes) = %v, %d payload bytes, %d, %v; want need-more",
						i, len(b), h, len(p), n, err)
				}
				// Once the header is there, Decode reports it while waiting for the payload.
				if i >= frame.HeaderSize && h != tt.h {
					t.Fatalf("Decode(%d of %d bytes) header = %v, want %v", i, len(b), h, tt.h)
				}
			}
		})
	}
}

func TestDecodeBackToBack(t *testing.T) {
	var buf []byte
	for _, tt := range decodeTests {
		buf = append(buf, wire(tt.h, tt.payload)...)
	}
	trailer := wire(dataHeader(0, 9, 100), make([]byte, 100))[:50] // a partial frame at the end
	buf = append(buf, trailer...)

	rest := buf
	for _, tt := range decodeTests {
		h, p, n, err := frame.Decode(rest, frame.DefaultMaxFrameSize)
		if err != nil || h != tt.h || !bytes.Equal(p, tt.payload) || n != frame.HeaderSize+len(tt.payload) {
			t.Fatalf("%s: Decode = %v, %d payload bytes, %d, %v; want %v, %d, %d, nil",
				tt.name, h, len(p), n, err, tt.h, len(tt.payload), frame.HeaderSize+len(tt.payload))
		}
		rest = rest[n:]
	}
	if _, _, n, err := frame.Decode(rest, frame.DefaultMaxFrameSize); n != 0 || err != nil {
		t.Fatalf("Decode(partial trailer) = %d, %v; want 0, nil", n, err)
	}
	if !bytes.Equal(rest, trailer) {
		t.Fatalf("left %d bytes, want the %d-byte trailer", len(rest), len(trailer))
	}
}

func TestDecodePayloadAliasesInput(t *testing.T) {
	first := wire(dataHeader(0, 1, 5), []byte("hello"))
	second := wire(dataHeader(frame.FlagFIN, 1, 5), []byte("world"))
	buf := append(append([]byte(nil), first...), second...)

	_, p, n, err := frame.Decode(buf, frame.DefaultMaxFrameSize)
	if err != nil || n != len(first) || string(p) != "hello" {
		t.Fatalf("Decode = %q, %d, %v; want \"hello\", %d, nil", p, n, err, len(first))
	}
	if &p[0] != &buf[frame.HeaderSize] {
		t.Fatal("payload does not alias the input buffer")
	}
	if len(p) != cap(p) {
		t.Fatalf("cap(payload) = %d, want %d (limited to the frame)", cap(p), len(p))
	}
	buf[frame.HeaderSize] = 'j'
	if string(p) != "jello" {
		t.Fatalf("payload = %q after changing the input, want \"jello\"", p)
	}

	// Appending to the payload must reallocate, never overwrite the next frame.
	_ = append(p, "appended past the end"...)
	if !bytes.Equal(buf[n:], second) {
		t.Fatalf("appending to the payload overwrote the next frame: % x", buf[n:])
	}
	h, p2, n2, err := frame.Decode(buf[n:], frame.DefaultMaxFrameSize)
	if err != nil || n2 != len(second) || string(p2) != "world" || !h.Flags.Has(frame.FlagFIN) {
		t.Fatalf("second Decode = %v, %q, %d, %v", h, p2, n2, err)
	}

	// An empty payload must not expose the following bytes either.
	empty := append(wire(dataHeader(frame.FlagSYN, 1, 0), nil), "next"...)
	_, p, _, err = frame.Decode(empty, frame.DefaultMaxFrameSize)
	if err != nil || len(p) != 0 || cap(p) != 0 {
		t.Fatalf("empty Data payload: len %d cap %d err %v; want 0, 0, nil", len(p), cap(p), err)
	}
}

func TestDecodeInvalid(t *testing.T) {
	tests := []struct {
		name string
		h    frame.Header
		max  int
		want error
	}{
		{"bad_version", frame.Header{Version: 2, Type: frame.TypeData, StreamID: 1, Length: 100}, frame.DefaultMaxFrameSize, frame.ErrInvalidVersion},
		{"unknown_type", frame.Header{Version: 1, Type: 7, StreamID: 1}, frame.DefaultMaxFrameSize, frame.ErrUnknownType},
		{"unknown_flags", frame.Header{Version: 1, Type: frame.TypeData, Flags: 0x100, StreamID: 1, Length: 10}, frame.DefaultMaxFrameSize, frame.ErrUnknownFlags},
		{"data_stream_0", frame.Header{Version: 1, Type: frame.TypeData, Length: 10}, frame.DefaultMaxFrameSize, frame.ErrStreamZero},
		{"ping_stream_1", frame.Header{Version: 1, Type: frame.TypePing, StreamID: 1}, frame.DefaultMaxFrameSize, frame.ErrSessionStream},
		{"too_large", dataHeader(0, 1, 17), 16, frame.ErrFrameTooLarge},
		{"too_large_default", dataHeader(0, 1, frame.DefaultMaxFrameSize+1), frame.DefaultMaxFrameSize, frame.ErrFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := wire(tt.h, make([]byte, tt.h.PayloadLen()))
			for i := 0; i < frame.HeaderSize; i++ {
				if _, _, n, err := frame.Decode(b[:i], tt.max); n != 0 || err != nil {
					t.Fatalf("Decode(%d bytes) = %d, %v; want need-more", i, n, err)
				}
			}
			// Reported as soon as the 12 header bytes exist, whatever follows.
			for _, end := range []int{frame.HeaderSize, frame.HeaderSize + 1, len(b)} {
				if end > len(b) {
					continue
				}
				h, p, n, err := frame.Decode(b[:end], tt.max)
				if err != tt.want || n != 0 || p != nil || h != tt.h {
					t.Fatalf("Decode(%d bytes) = %v, %v, %d, %v; want %v, nil, 0, %v", end, h, p, n, err, tt.h, tt.want)
				}
			}
		})
	}
}

// TestDecodeHugeLength checks that a Data length near the int range, allowed
// by a huge maxFrameSize, asks for more bytes instead of overflowing.
func TestDecodeHugeLength(t *testing.T) {
	for _, length := range []uint32{math.MaxInt32 - frame.HeaderSize, math.MaxInt32 - 1, math.MaxInt32} {
		b := wire(dataHeader(0, 1, length), []byte("partial"))
		h, p, n, err := frame.Decode(b, math.MaxInt)
		if n != 0 || err != nil || p != nil || h.Length != length {
			t.Fatalf("Decode(len=%d) = %v, %d payload bytes, %d, %v; want need-more", length, h, len(p), n, err)
		}
	}
	b := wire(dataHeader(0, 1, math.MaxUint32), nil)
	_, _, n, err := frame.Decode(b, math.MaxInt)
	if n != 0 || (err != nil && err != frame.ErrFrameTooLarge) {
		t.Fatalf("Decode(len=MaxUint32) = %d, %v; want need-more or ErrFrameTooLarge", n, err)
	}
	// A negative limit rejects every Data frame.
	if _, _, n, err := frame.Decode(b, -1); n != 0 || err != frame.ErrFrameTooLarge {
		t.Fatalf("Decode(len=MaxUint32, max -1) = %d, %v; want 0, ErrFrameTooLarge", n, err)
	}
}

func TestDecodeNoAlloc(t *testing.T) {
	var buf []byte
	for _, tt := range decodeTests {
		buf = append(buf, wire(tt.h, tt.payload)...)
	}
	bad := wire(frame.Header{Version: 3, Type: frame.TypeData, StreamID: 1}, nil)
	allocs := testing.AllocsPerRun(50, func() {
		for rest := buf; len(rest) > 0; {
			_, _, n, err := frame.Decode(rest, frame.DefaultMaxFrameSize)
			if err != nil || n == 0 {
				t.Fatalf("Decode = %d, %v", n, err)
			}
			rest = rest[n:]
		}
		_, _, _, _ = frame.Decode(buf[:5], frame.DefaultMaxFrameSize)
		if _, _, _, err := frame.Decode(bad, frame.DefaultMaxFrameSize); err == nil {
			t.Fatal("Decode accepted a bad version")
		}
	})
	if allocs != 0 {
		t.Fatalf("Decode allocated %v times per run, want 0", allocs)
	}
}

// The yamux dialect's version byte 0 is valid only where asked for, and
// version 1 is then invalid: the two dialects never mistake each other.
func TestDecodeVersion(t *testing.T) {
	b := wire(frame.Header{Version: frame.VersionYamux, Type: frame.TypeWindowUpdate, Flags: frame.FlagSYN, StreamID: 1, Length: 7}, nil)
	h, _, n, err := frame.DecodeVersion(b, frame.VersionYamux, frame.DefaultMaxFrameSize)
	if err != nil || n != frame.HeaderSize || h.Version != 0 || h.Length != 7 {
		t.Fatalf("DecodeVersion(yamux frame, 0) = %v, %d, %v", h, n, err)
	}
	if _, _, _, err := frame.Decode(b, frame.DefaultMaxFrameSize); err != frame.ErrInvalidVersion {
		t.Fatalf("Decode(yamux frame) error %v; want ErrInvalidVersion", err)
	}
	v1 := wire(dataHeader(0, 1, 0), nil)
	if _, _, _, err := frame.DecodeVersion(v1, frame.VersionYamux, frame.DefaultMaxFrameSize); err != frame.ErrInvalidVersion {
		t.Fatalf("DecodeVersion(net-mux frame, 0) error %v; want ErrInvalidVersion", err)
	}
}

// A caller that reads part of a payload straight to its destination skips
// it; the decoder then goes on with the rest of the frame and the next one.
func TestDecodeSkip(t *testing.T) {
	payload := []byte("0123456789")
	buf := append(wire(dataHeader(frame.FlagFIN, 3, uint32(len(payload))), payload), wire(dataHeader(0, 5, 2), []byte("ok"))...)
	d := frame.NewDecoder(frame.DefaultMaxFrameSize)

	p, n, err := d.Next(buf[:frame.HeaderSize+2])
	if err != nil || n != frame.HeaderSize+2 || string(p.Payload) != "01" || p.End {
		t.Fatalf("Next = %+v, %d, %v", p, n, err)
	}
	if d.Left() != 8 {
		t.Fatalf("Left = %d, want 8", d.Left())
	}
	if p = d.Skip(5); p.End || p.Payload != nil || p.Header.StreamID != 3 || d.Left() != 3 {
		t.Fatalf("Skip(5) = %+v, Left %d; want not the end, 3 left", p, d.Left())
	}
	rest := buf[frame.HeaderSize+7:]
	p, n, err = d.Next(rest[:2])
	if err != nil || n != 2 || string(p.Payload) != "78" || p.End {
		t.Fatalf("Next after Skip = %+v, %d, %v", p, n, err)
	}
	if p = d.Skip(1); !p.End || !p.Header.Flags.Has(frame.FlagFIN) || d.Left() != 0 {
		t.Fatalf("Skip(1) = %+v, Left %d; want the end of the FIN frame", p, d.Left())
	}
	p, n, err = d.Next(rest[3:])
	if err != nil || !p.Start || p.Header.StreamID != 5 || string(p.Payload) != "ok" || !p.End {
		t.Fatalf("next frame = %+v, %d, %v", p, n, err)
	}
}
