package frame_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"testing"

	"go.uber.org/goleak"

	"github.com/netmux/netmux/core/frame"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestTypeString(t *testing.T) {
	tests := []struct {
		t    frame.Type
		want string
	}{
		{frame.TypeData, "Data"},
		{frame.TypeWindowUpdate, "WindowUpdate"},
		{frame.TypePing, "Ping"},
		{frame.TypeGoAway, "GoAway"},
		{4, "Type(4)"},
		{0x7f, "Type(127)"},
		{0xff, "Type(255)"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("Type(%d).String() = %q, want %q", uint8(tt.t), got, tt.want)
		}
	}
}

func TestFlagsString(t *testing.T) {
	tests := []struct {
		f    frame.Flags
		want string
	}{
		{0, "0"},
		{frame.FlagSYN, "SYN"},
		{frame.FlagACK, "ACK"},
		{frame.FlagFIN, "FIN"},
		{frame.FlagRST, "RST"},
		{frame.FlagSYN | frame.FlagACK, "SYN|ACK"},
		{frame.FlagSYN | frame.FlagFIN, "SYN|FIN"},
		{frame.FlagSYN | frame.FlagACK | frame.FlagFIN | frame.FlagRST, "SYN|ACK|FIN|RST"},
		{0x10, "0x10"},
		{0x8000, "0x8000"},
		{frame.FlagACK | 0x30, "ACK|0x30"},
		{0xffff, "SYN|ACK|FIN|RST|0xfff0"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("Flags(%#x).String() = %q, want %q", uint16(tt.f), got, tt.want)
		}
	}
}

func TestFlagsHas(t *testing.T) {
	tests := []struct {
		f, g frame.Flags
		want bool
	}{
		{0, 0, true},
		{frame.FlagSYN, 0, true},
		{frame.FlagSYN, frame.FlagSYN, true},
		{frame.FlagSYN | frame.FlagFIN, frame.FlagFIN, true},
		{frame.FlagSYN, frame.FlagACK, false},
		{frame.FlagSYN, frame.FlagSYN | frame.FlagACK, false},
		{frame.FlagSYN | frame.FlagACK, frame.FlagSYN | frame.FlagACK, true},
	}
	for _, tt := range tests {
		if got := tt.f.Has(tt.g); got != tt.want {
			t.Errorf("Flags(%v).Has(%v) = %v, want %v", tt.f, tt.g, got, tt.want)
		}
	}
}

func TestErrorCodeString(t *testing.T) {
	tests := []struct {
		c    frame.ErrorCode
		want string
	}{
		{frame.CodeNormal, "Normal"},
		{frame.CodeProtocolError, "ProtocolError"},
		{frame.CodeInternalError, "InternalError"},
		{frame.CodeFlowControlError, "FlowControlError"},
		{frame.CodeStreamLimit, "StreamLimit"},
		{frame.CodeInvalidVersion, "InvalidVersion"},
		{frame.CodeTimeout, "Timeout"},
		{7, "ErrorCode(7)"},
		{1000, "ErrorCode(1000)"},
		{math.MaxUint32, "ErrorCode(4294967295)"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("ErrorCode(%d).String() = %q, want %q", uint32(tt.c), got, tt.want)
		}
	}
}

func TestHeaderString(t *testing.T) {
	tests := []struct {
		h    frame.Header
		want string
	}{
		{frame.Header{Version: 1, Type: frame.TypeData, Flags: frame.FlagSYN, StreamID: 1, Length: 5}, "Data[1] SYN len=5"},
		{frame.Header{Version: 1, Type: frame.TypePing, Flags: frame.FlagACK, Length: 7}, "Ping[0] ACK len=7"},
		{frame.Header{Version: 1, Type: frame.TypeGoAway}, "GoAway[0] 0 len=0"},
		{frame.Header{Version: 2, Type: 9, Flags: 0x10, StreamID: math.MaxUint32, Length: math.MaxUint32},
			"Type(9)[4294967295] 0x10 len=4294967295 ver=2"},
	}
	for _, tt := range tests {
		if got := tt.h.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.h, got, tt.want)
		}
	}
}

func TestPayloadLen(t *testing.T) {
	tests := []struct {
		typ  frame.Type
		want int
	}{
		{frame.TypeData, 1234},
		{frame.TypeWindowUpdate, 0},
		{frame.TypePing, 0},
		{frame.TypeGoAway, 0},
		{9, 0},
	}
	for _, tt := range tests {
		h := frame.Header{Version: 1, Type: tt.typ, StreamID: 1, Length: 1234}
		if got := h.PayloadLen(); got != tt.want {
			t.Errorf("%v: PayloadLen() = %d, want %d", tt.typ, got, tt.want)
		}
	}
}

// codecTests pairs headers with their exact wire encoding.
var codecTests = []struct {
	name string
	h    frame.Header
	wire []byte
}{
	{"zero", frame.Header{}, make([]byte, 12)},
	{"data_syn", frame.Header{Version: 1, Type: frame.TypeData, Flags: frame.FlagSYN, StreamID: 1, Length: 0},
		[]byte{0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00}},
	{"window_update", frame.Header{Version: 1, Type: frame.TypeWindowUpdate, StreamID: 1, Length: 0x00020000},
		[]byte{0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00}},
	{"byte_order", frame.Header{Version: 0xab, Type: 0xcd, Flags: 0x1234, StreamID: 0x56789abc, Length: 0xdef01234},
		[]byte{0xab, 0xcd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x12, 0x34}},
	{"all_ones", frame.Header{Version: 0xff, Type: 0xff, Flags: 0xffff, StreamID: math.MaxUint32, Length: math.MaxUint32},
		bytes.Repeat([]byte{0xff}, 12)},
}

func TestPutHeader(t *testing.T) {
	for _, tt := range codecTests {
		t.Run(tt.name, func(t *testing.T) {
			var b [frame.HeaderSize]byte
			for i := range b {
				b[i] = 0x5a // PutHeader must overwrite every byte
			}
			frame.PutHeader(&b, tt.h)
			if !bytes.Equal(b[:], tt.wire) {
				t.Fatalf("PutHeader = % x, want % x", b, tt.wire)
			}
		})
	}
}

func TestAppendHeader(t *testing.T) {
	for _, tt := range codecTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := frame.AppendHeader(nil, tt.h); !bytes.Equal(got, tt.wire) {
				t.Fatalf("AppendHeader(nil) = % x, want % x", got, tt.wire)
			}
			prefix := []byte("prefix")
			got := frame.AppendHeader(prefix, tt.h)
			if want := append([]byte("prefix"), tt.wire...); !bytes.Equal(got, want) {
				t.Fatalf("AppendHeader(prefix) = % x, want % x", got, want)
			}
		})
	}
}

func TestParseHeader(t *testing.T) {
	for _, tt := range codecTests {
		t.Run(tt.name, func(t *testing.T) {
			h, ok := frame.ParseHeader(tt.wire)
			if !ok || h != tt.h {
				t.Fatalf("ParseHeader = %#v, %v; want %#v, true", h, ok, tt.h)
			}
			// Trailing bytes are ignored.
			h, ok = frame.ParseHeader(append(append([]byte(nil), tt.wire...), 1, 2, 3))
			if !ok || h != tt.h {
				t.Fatalf("ParseHeader(with trailer) = %#v, %v; want %#v, true", h, ok, tt.h)
			}
			for n := 0; n < frame.HeaderSize; n++ {
				if h, ok := frame.ParseHeader(tt.wire[:n]); ok || h != (frame.Header{}) {
					t.Fatalf("ParseHeader(%d bytes) = %#v, %v; want zero, false", n, h, ok)
				}
			}
		})
	}
}

func TestEncodeNoAlloc(t *testing.T) {
	h := frame.Header{Version: 1, Type: frame.TypeData, Flags: frame.FlagFIN, StreamID: 7, Length: 9}
	var b [frame.HeaderSize]byte
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		frame.PutHeader(&b, h)
		buf = frame.AppendHeader(buf[:0], h)
		if _, ok := frame.ParseHeader(buf); !ok {
			t.Fatal("ParseHeader failed")
		}
	})
	if allocs != 0 {
		t.Fatalf("encode/parse allocated %v times per run, want 0", allocs)
	}
}

func TestValidate(t *testing.T) {
	const max = frame.DefaultMaxFrameSize
	hdr := func(typ frame.Type, flags frame.Flags, id, length uint32) frame.Header {
		return frame.Header{Version: frame.Version, Type: typ, Flags: flags, StreamID: id, Length: length}
	}
	tests := []struct {
		name string
		h    frame.Header
		max  int
		want error
	}{
		// Valid frames.
		{"data_empty", hdr(frame.TypeData, 0, 1, 0), max, nil},
		{"data_syn", hdr(frame.TypeData, frame.FlagSYN, 1, 0), max, nil},
		{"data_all_flags", hdr(frame.TypeData, frame.FlagSYN|frame.FlagACK|frame.FlagFIN|frame.FlagRST, 2, 5), max, nil},
		{"data_max_stream_id", hdr(frame.TypeData, 0, math.MaxUint32, 1), max, nil},
		{"data_len_eq_max", hdr(frame.TypeData, 0, 1, max), max, nil},
		{"data_len_eq_small_max", hdr(frame.TypeData, 0, 1, 16), 16, nil},
		{"data_empty_max_zero", hdr(frame.TypeData, frame.FlagRST, 1, 0), 0, nil},
		{"window_update", hdr(frame.TypeWindowUpdate, 0, 1, 1), max, nil},
		{"window_update_huge", hdr(frame.TypeWindowUpdate, 0, 1, math.MaxUint32), max, nil},
		{"window_update_huge_small_max", hdr(frame.TypeWindowUpdate, frame.FlagACK, 3, max+1), 16, nil},
		{"ping", hdr(frame.TypePing, 0, 0, 1), max, nil},
		{"ping_ack", hdr(frame.TypePing, frame.FlagACK, 0, math.MaxUint32), max, nil},
		{"ping_huge_value_small_max", hdr(frame.TypePing, 0, 0, 1<<30), 1, nil},
		{"goaway", hdr(frame.TypeGoAway, 0, 0, uint32(frame.CodeNormal)), max, nil},
		{"goaway_unknown_code", hdr(frame.TypeGoAway, 0, 0, 12345), max, nil},

		// Version.
		{"version_0", frame.Header{Version: 0, Type: frame.TypeData, StreamID: 1}, max, frame.ErrInvalidVersion},
		{"version_2", frame.Header{Version: 2, Type: frame.TypePing}, max, frame.ErrInvalidVersion},
		{"version_255", frame.Header{Version: 255, Type: frame.TypeGoAway}, max, frame.ErrInvalidVersion},

		// Type.
		{"type_4", hdr(4, 0, 0, 0), max, frame.ErrUnknownType},
		{"type_4_stream", hdr(4, 0, 1, 0), max, frame.ErrUnknownType},
		{"type_255", hdr(255, 0, 1, 0), max, frame.ErrUnknownType},

		// Flags.
		{"flag_0x10", hdr(frame.TypeData, 0x10, 1, 0), max, frame.ErrUnknownFlags},
		{"flag_0x8000", hdr(frame.TypePing, 0x8000, 0, 0), max, frame.ErrUnknownFlags},
		{"flags_known_plus_unknown", hdr(frame.TypeWindowUpdate, frame.FlagACK|0x20, 1, 0), max, frame.ErrUnknownFlags},
		{"flags_all", hdr(frame.TypeGoAway, 0xffff, 0, 0), max, frame.ErrUnknownFlags},

		// Stream id rules.
		{"data_stream_0", hdr(frame.TypeData, frame.FlagSYN, 0, 0), max, frame.ErrStreamZero},
		{"window_update_stream_0", hdr(frame.TypeWindowUpdate, 0, 0, 1), max, frame.ErrStreamZero},
		{"ping_stream_1", hdr(frame.TypePing, 0, 1, 1), max, frame.ErrSessionStream},
		{"ping_ack_stream_max", hdr(frame.TypePing, frame.FlagACK, math.MaxUint32, 1), max, frame.ErrSessionStream},
		{"goaway_stream_2", hdr(frame.TypeGoAway, 0, 2, 0), max, frame.ErrSessionStream},

		// Data size.
		{"data_len_max_plus_1", hdr(frame.TypeData, 0, 1, max+1), max, frame.ErrFrameTooLarge},
		{"data_len_huge", hdr(frame.TypeData, 0, 1, math.MaxUint32), max, frame.ErrFrameTooLarge},
		{"data_len_1_max_zero", hdr(frame.TypeData, 0, 1, 1), 0, frame.ErrFrameTooLarge},
		{"data_len_17_max_16", hdr(frame.TypeData, 0, 1, 17), 16, frame.ErrFrameTooLarge},
		{"data_negative_max", hdr(frame.TypeData, 0, 1, 5), -1, frame.ErrFrameTooLarge},
		{"data_empty_negative_max", hdr(frame.TypeData, frame.FlagSYN, 1, 0), -1, frame.ErrFrameTooLarge},
		{"data_huge_negative_max", hdr(frame.TypeData, 0, 1, math.MaxUint32), math.MinInt, frame.ErrFrameTooLarge},
		{"data_len_maxint32_max_maxint32", hdr(frame.TypeData, 0, 1, math.MaxInt32), math.MaxInt32, nil},
		{"data_len_maxint32_max_maxint", hdr(frame.TypeData, 0, 1, math.MaxInt32), math.MaxInt, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := frame.Validate(tt.h, tt.max)
			if err != tt.want {
				t.Fatalf("Validate(%v, %d) = %v, want %v", tt.h, tt.max, err, tt.want)
			}
		})
	}
}

func TestValidateNoAlloc(t *testing.T) {
	hs := []frame.Header{
		{Version: 1, Type: frame.TypeData, StreamID: 1, Length: 10},
		{Version: 2, Type: frame.TypeData, StreamID: 1},
		{Version: 1, Type: frame.TypeData, StreamID: 1, Length: 1 << 30},
		{Version: 1, Type: frame.TypePing, StreamID: 1},
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, h := range hs {
			_ = frame.Validate(h, frame.DefaultMaxFrameSize)
		}
	})
	if allocs != 0 {
		t.Fatalf("Validate allocated %v times per run, want 0", allocs)
	}
}

func TestErrors(t *testing.T) {
	sentinels := []struct {
		err  error
		code frame.ErrorCode
	}{
		{frame.ErrInvalidVersion, frame.CodeInvalidVersion},
		{frame.ErrUnknownType, frame.CodeProtocolError},
		{frame.ErrUnknownFlags, frame.CodeProtocolError},
		{frame.ErrStreamZero, frame.CodeProtocolError},
		{frame.ErrSessionStream, frame.CodeProtocolError},
		{frame.ErrFrameTooLarge, frame.CodeProtocolError},
	}
	seen := map[string]bool{}
	for i, s := range sentinels {
		msg := s.err.Error()
		t.Run(msg, func(t *testing.T) {
			const prefix = "netmux frame: "
			if len(msg) <= len(prefix) || msg[:len(prefix)] != prefix {
				t.Errorf("Error() = %q, want prefix %q and a reason", msg, prefix)
			}
			if seen[msg] {
				t.Errorf("duplicate message %q", msg)
			}
			seen[msg] = true

			wrapped := fmt.Errorf("session: %w", s.err)
			var fe *frame.Error
			if !errors.As(wrapped, &fe) {
				t.Fatalf("errors.As(%v, *frame.Error) = false", wrapped)
			}
			if fe.Code != s.code {
				t.Errorf("Code = %v, want %v", fe.Code, s.code)
			}
			if fe != s.err {
				t.Errorf("errors.As gave %p, want the sentinel %p", fe, s.err)
			}
			for j, o := range sentinels {
				if got := errors.Is(wrapped, o.err); got != (i == j) {
					t.Errorf("errors.Is(wrapped %v, %v) = %v, want %v", s.err, o.err, got, i == j)
				}
			}
		})
	}

	// A validation error answers errors.Is/As directly.
	err := frame.Validate(frame.Header{Version: 9, Type: frame.TypePing}, frame.DefaultMaxFrameSize)
	if !errors.Is(err, frame.ErrInvalidVersion) {
		t.Fatalf("Validate(bad version) = %v, want ErrInvalidVersion", err)
	}
	var fe *frame.Error
	if !errors.As(err, &fe) || fe.Code != frame.CodeInvalidVersion {
		t.Fatalf("errors.As(Validate(bad version)) = %v, want Code %v", fe, frame.CodeInvalidVersion)
	}
	// A distinct *Error with the same code is not the sentinel.
	other := &frame.Error{Code: frame.CodeProtocolError}
	if errors.Is(other, frame.ErrUnknownType) {
		t.Fatal("errors.Is matched a different *Error value with the same code")
	}
	if errors.As(errors.New("plain"), &fe) {
		t.Fatal("errors.As matched a plain error")
	}
}
