package frame_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/netmux/netmux/core/frame"
)

// goldenVector is one line of testdata/golden.txt.
type goldenVector struct {
	name, meaning string
	wire          []byte
}

// readGolden parses testdata/golden.txt: name<TAB>hex<TAB>meaning per line,
// '#' lines are comments.
func readGolden(t testing.TB) []goldenVector {
	t.Helper()
	f, err := os.Open("testdata/golden.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []goldenVector
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		fields := strings.SplitN(s, "\t", 3)
		if len(fields) != 3 {
			t.Fatalf("golden.txt:%d: want name<TAB>hex<TAB>meaning, got %q", line, s)
		}
		b, err := hex.DecodeString(fields[1])
		if err != nil {
			t.Fatalf("golden.txt:%d: %v", line, err)
		}
		vs = append(vs, goldenVector{fields[0], fields[2], b})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

// goldenWant is what each golden vector means, written out from its meaning
// column.
var goldenWant = map[string]struct {
	h       frame.Header
	payload string
}{
	// client opens stream 1: Data, SYN, empty
	"open_syn": {frame.Header{Version: 1, Type: frame.TypeData, Flags: frame.FlagSYN, StreamID: 1, Length: 0}, ""},
	// server accepts stream 1: Data, ACK, empty
	"accept_ack": {frame.Header{Version: 1, Type: frame.TypeData, Flags: frame.FlagACK, StreamID: 1, Length: 0}, ""},
	// client writes "hello" on stream 1
	"data_hello": {frame.Header{Version: 1, Type: frame.TypeData, Flags: 0, StreamID: 1, Length: 5}, "hello"},
	// WindowUpdate stream 1, +131072 after the application read exactly 128 KiB
	"window_update_128k": {frame.Header{Version: 1, Type: frame.TypeWindowUpdate, Flags: 0, StreamID: 1, Length: 128 << 10}, ""},
	// WindowUpdate stream 1, +131077 (the whole count read since the last update)
	"window_update_odd": {frame.Header{Version: 1, Type: frame.TypeWindowUpdate, Flags: 0, StreamID: 1, Length: 131077}, ""},
	// Ping request, stream 0, flags 0, value 1
	"ping": {frame.Header{Version: 1, Type: frame.TypePing, Flags: 0, StreamID: 0, Length: 1}, ""},
	// Ping reply, flags ACK, same value
	"ping_ack": {frame.Header{Version: 1, Type: frame.TypePing, Flags: frame.FlagACK, StreamID: 0, Length: 1}, ""},
	// half-close of stream 1: Data, FIN, empty
	"fin": {frame.Header{Version: 1, Type: frame.TypeData, Flags: frame.FlagFIN, StreamID: 1, Length: 0}, ""},
	// reset of stream 3: Data, RST, empty
	"rst": {frame.Header{Version: 1, Type: frame.TypeData, Flags: frame.FlagRST, StreamID: 3, Length: 0}, ""},
	// GoAway, code 0 Normal
	"goaway_normal": {frame.Header{Version: 1, Type: frame.TypeGoAway, Flags: 0, StreamID: 0, Length: uint32(frame.CodeNormal)}, ""},
	// GoAway, code 1 ProtocolError
	"goaway_protocol": {frame.Header{Version: 1, Type: frame.TypeGoAway, Flags: 0, StreamID: 0, Length: uint32(frame.CodeProtocolError)}, ""},
	// GoAway, code 6 Timeout (keepalive)
	"goaway_timeout": {frame.Header{Version: 1, Type: frame.TypeGoAway, Flags: 0, StreamID: 0, Length: uint32(frame.CodeTimeout)}, ""},
}

func TestGolden(t *testing.T) {
	vs := readGolden(t)
	seen := map[string]bool{}
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			if seen[v.name] {
				t.Fatalf("duplicate golden vector %q", v.name)
			}
			seen[v.name] = true
			want, ok := goldenWant[v.name]
			if !ok {
				t.Fatalf("golden vector %q (%s) has no expected header in goldenWant", v.name, v.meaning)
			}
			h, p, n, err := frame.Decode(v.wire, frame.DefaultMaxFrameSize)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if h != want.h {
				t.Errorf("header = %#v (%v), want %#v (%v)", h, h, want.h, want.h)
			}
			if string(p) != want.payload {
				t.Errorf("payload = %q, want %q", p, want.payload)
			}
			if n != len(v.wire) {
				t.Errorf("consumed %d bytes, want %d", n, len(v.wire))
			}
			if got := append(frame.AppendHeader(nil, h), p...); !bytes.Equal(got, v.wire) {
				t.Errorf("re-encoded = %x, want %x", got, v.wire)
			}
			if h.Type == frame.TypeGoAway {
				if code := frame.ErrorCode(h.Length); !strings.Contains(v.meaning, code.String()) {
					t.Errorf("GoAway code %v not named in meaning %q", code, v.meaning)
				}
			}
		})
	}
	for name := range goldenWant {
		if !seen[name] {
			t.Errorf("goldenWant has %q, missing from testdata/golden.txt", name)
		}
	}
}

// TestGoldenStream decodes all golden vectors from one buffer.
func TestGoldenStream(t *testing.T) {
	vs := readGolden(t)
	var buf []byte
	for _, v := range vs {
		buf = append(buf, v.wire...)
	}
	for _, v := range vs {
		h, p, n, err := frame.Decode(buf, frame.DefaultMaxFrameSize)
		if err != nil || n != len(v.wire) || h != goldenWant[v.name].h || string(p) != goldenWant[v.name].payload {
			t.Fatalf("%s: Decode = %v, %q, %d, %v", v.name, h, p, n, err)
		}
		buf = buf[n:]
	}
	if len(buf) != 0 {
		t.Fatalf("%d bytes left over", len(buf))
	}
}
