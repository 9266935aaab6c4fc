package fuzz

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/netmux/netmux/core/frame"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// goldenPath is the golden vector file of core/frame, relative to this package.
const goldenPath = "../core/frame/testdata/golden.txt"

// readGolden returns the frames of golden.txt (name<TAB>hex<TAB>meaning per
// line, '#' lines are comments).
func readGolden(tb testing.TB) [][]byte {
	tb.Helper()
	f, err := os.Open(goldenPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var vs [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		s := sc.Text()
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		fields := strings.SplitN(s, "\t", 3)
		if len(fields) != 3 {
			tb.Fatalf("%s: malformed line %q", goldenPath, s)
		}
		b, err := hex.DecodeString(fields[1])
		if err != nil {
			tb.Fatalf("%s: %v", goldenPath, err)
		}
		vs = append(vs, b)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(vs) == 0 {
		tb.Fatalf("%s: no vectors", goldenPath)
	}
	return vs
}

// decoded is one accepted frame, its payload copied.
type decoded struct {
	h       frame.Header
	payload string
}

// outcome is what decoding a byte stream produced: the frames accepted in
// order, the error that stopped decoding (nil if the input simply ran out)
// and the number of bytes consumed by the accepted frames.
type outcome struct {
	frames   []decoded
	err      error
	consumed int
}

// checkDecode asserts the Decode contract for one call on avail.
func checkDecode(t *testing.T, avail []byte, max int, h frame.Header, p []byte, n int, err error) {
	t.Helper()
	if err != nil {
		var fe *frame.Error
		if !errors.As(err, &fe) {
			t.Fatalf("Decode error %v (%T) is not a *frame.Error", err, err)
		}
		ph, ok := frame.ParseHeader(avail)
		if !ok || n != 0 || p != nil || h != ph {
			t.Fatalf("Decode error %v with %d bytes: n=%d payload=%v header=%v; want 0, nil, %v", err, len(avail), n, p, h, ph)
		}
		if verr := frame.Validate(h, max); verr != err {
			t.Fatalf("Decode error %v, Validate says %v", err, verr)
		}
		return
	}
	if n == 0 {
		if p != nil {
			t.Fatalf("need-more returned a payload of %d bytes", len(p))
		}
		if len(avail) >= frame.HeaderSize && len(avail) >= frame.HeaderSize+h.PayloadLen() {
			t.Fatalf("need-more with %d bytes, but %v needs only %d", len(avail), h, frame.HeaderSize+h.PayloadLen())
		}
		return
	}
	if n < frame.HeaderSize || n > len(avail) {
		t.Fatalf("Decode consumed %d bytes of %d", n, len(avail))
	}
	if len(p) != h.PayloadLen() || n != frame.HeaderSize+len(p) || cap(p) != len(p) {
		t.Fatalf("Decode %v: n=%d len(payload)=%d cap=%d; want PayloadLen %d", h, n, len(p), cap(p), h.PayloadLen())
	}
	if len(p) > 0 && &p[0] != &avail[frame.HeaderSize] {
		t.Fatal("payload does not alias the input")
	}
	if verr := frame.Validate(h, max); verr != nil {
		t.Fatalf("Decode accepted %v, which Validate rejects: %v", h, verr)
	}
	if re := append(frame.AppendHeader(nil, h), p...); !bytes.Equal(re, avail[:n]) {
		t.Fatalf("re-encoded %x, consumed %x", re, avail[:n])
	}
}

// decodeWhole decodes data held entirely in memory.
func decodeWhole(t *testing.T, data []byte, max int) outcome {
	var o outcome
	for {
		avail := data[o.consumed:]
		h, p, n, err := frame.Decode(avail, max)
		checkDecode(t, avail, max, h, p, n, err)
		if err != nil {
			o.err = err
			return o
		}
		if n == 0 {
			return o
		}
		o.frames = append(o.frames, decoded{h, string(p)})
		o.consumed += n
	}
}

// checkPiece asserts the Decoder.Next contract for one call on avail.
func checkPiece(t *testing.T, avail []byte, max int, pc frame.Piece, n int, err error) {
	t.Helper()
	if err != nil {
		var fe *frame.Error
		if !errors.As(err, &fe) || n != 0 || pc.Payload != nil {
			t.Fatalf("Next error %v (%T): n=%d payload=%d bytes; want a *frame.Error, 0, nil", err, err, n, len(pc.Payload))
		}
		if verr := frame.Validate(pc.Header, max); verr != err {
			t.Fatalf("Next error %v, Validate says %v", err, verr)
		}
		return
	}
	if n == 0 {
		// Mid-payload any byte is taken, and a whole header always is.
		if pc.Payload != nil || pc.Start || len(avail) >= frame.HeaderSize {
			t.Fatalf("need-more with %d bytes returned %+v", len(avail), pc)
		}
		return
	}
	if n > len(avail) {
		t.Fatalf("Next consumed %d bytes of %d", n, len(avail))
	}
	body := avail
	if pc.Start {
		if verr := frame.Validate(pc.Header, max); verr != nil {
			t.Fatalf("Next accepted %v, which Validate rejects: %v", pc.Header, verr)
		}
		if re := frame.AppendHeader(nil, pc.Header); !bytes.Equal(re, avail[:frame.HeaderSize]) {
			t.Fatalf("re-encoded %x, consumed %x", re, avail[:frame.HeaderSize])
		}
		body = avail[frame.HeaderSize:]
		if n != frame.HeaderSize+len(pc.Payload) {
			t.Fatalf("Next consumed %d bytes for a header and %d payload bytes", n, len(pc.Payload))
		}
	} else if n != len(pc.Payload) {
		t.Fatalf("Next consumed %d bytes for %d payload bytes", n, len(pc.Payload))
	}
	if len(pc.Payload) > 0 && &pc.Payload[0] != &body[0] {
		t.Fatal("payload does not alias the input")
	}
	if cap(pc.Payload) != len(pc.Payload) {
		t.Fatalf("payload capacity %d beyond its %d bytes", cap(pc.Payload), len(pc.Payload))
	}
}

// decodeChunked feeds data to a frame.Decoder the way a session's reader
// does: it arrives in chunks whose sizes cycle through 1+splits[i] (all at
// once if splits is empty), payload is taken piece by piece as it arrives,
// and only a partial header is carried over to the next chunk.
func decodeChunked(t *testing.T, data, splits []byte, max int) outcome {
	var (
		o       outcome
		buf     []byte
		payload []byte       // of the frame being received
		cur     frame.Header // that frame
		open    bool         // a frame's header is in, its payload not all
	)
	dec := frame.NewDecoder(max)
	for pos, i := 0, 0; pos < len(data); i++ {
		size := len(data) - pos
		if len(splits) > 0 {
			size = min(size, 1+int(splits[i%len(splits)]))
		}
		buf = append(buf, data[pos:pos+size]...)
		pos += size

		off := 0
		for {
			avail := buf[off:]
			pc, n, err := dec.Next(avail)
			checkPiece(t, avail, max, pc, n, err)
			if err != nil {
				o.err = err // a session would send GoAway and stop reading
				return o
			}
			if n == 0 {
				break
			}
			if pc.Start == open || (!pc.Start && pc.Header != cur) {
				t.Fatalf("piece %+v while receiving %v (open %v)", pc, cur, open)
			}
			if pc.Start {
				cur, payload, open = pc.Header, payload[:0], true
			}
			payload = append(payload, pc.Payload...)
			off += n
			if pc.End {
				o.frames = append(o.frames, decoded{cur, string(payload)})
				o.consumed += frame.HeaderSize + len(payload)
				open = false
			}
		}
		buf = buf[:copy(buf, buf[off:])]
		if len(buf) >= frame.HeaderSize {
			t.Fatalf("%d bytes left over after Next, more than a partial header", len(buf))
		}
	}
	inFrame := 0
	if open {
		inFrame = frame.HeaderSize + len(payload)
	}
	if want := len(data) - o.consumed; len(buf)+inFrame != want {
		t.Fatalf("%d bytes buffered and %d in an unfinished frame at the end, want %d", len(buf), inFrame, want)
	}
	return o
}

// fuzzMaxFrameSizes are the limits every input is decoded with.
var fuzzMaxFrameSizes = []int{frame.DefaultMaxFrameSize, 16}

// FuzzDecode decodes arbitrary bytes whole with Decode and delivered in
// arbitrary chunks to the Decoder that sessions use, checks both contracts,
// and that chunking never changes the result.
func FuzzDecode(f *testing.F) {
	golden := readGolden(f)
	splitSeeds := [][]byte{nil, {0}, {11}, {12}, {3, 200, 0}}
	var all []byte
	for _, v := range golden {
		all = append(all, v...)
		for _, s := range splitSeeds {
			f.Add(v, s)
		}
		f.Add(v[:len(v)-1], []byte{0})             // truncated payload or header
		f.Add(v[:frame.HeaderSize-1], []byte(nil)) // truncated header
		bad := slices.Clone(v)
		bad[0] = 2 // wrong version
		f.Add(bad, []byte{4})
	}
	for _, s := range splitSeeds {
		f.Add(all, s)
	}
	f.Add(all[:len(all)-3], []byte{7, 1})
	f.Add(append(slices.Clone(all), 0x01, 0x09, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0), []byte{5}) // then an unknown type
	tooBig := frame.AppendHeader(nil, frame.Header{Version: 1, Type: frame.TypeData, StreamID: 1, Length: frame.DefaultMaxFrameSize + 1})
	f.Add(append(slices.Clone(golden[0]), tooBig...), []byte{1})
	f.Add(append(slices.Clone(all), 0x01, 0x00, 0x00, 0x10), []byte{2}) // undefined flag, header incomplete

	f.Fuzz(func(t *testing.T, data, splits []byte) {
		for _, max := range fuzzMaxFrameSizes {
			whole := decodeWhole(t, data, max)
			chunked := decodeChunked(t, data, splits, max)
			if !slices.Equal(whole.frames, chunked.frames) || whole.err != chunked.err || whole.consumed != chunked.consumed {
				t.Fatalf("max %d: whole input gave %d frames, %d bytes, err %v; chunked by %v gave %d frames, %d bytes, err %v",
					max, len(whole.frames), whole.consumed, whole.err, splits, len(chunked.frames), chunked.consumed, chunked.err)
			}
			if whole.err == nil && len(data)-whole.consumed >= frame.HeaderSize {
				h, _ := frame.ParseHeader(data[whole.consumed:])
				if len(data)-whole.consumed >= frame.HeaderSize+h.PayloadLen() {
					t.Fatalf("max %d: stopped with a complete frame %v left", max, h)
				}
			}
		}
	})
}

// violations lists the sentinel errors h deserves, per protocol.md, written
// independently of frame.Validate.
func violations(h frame.Header, max int) []error {
	var errs []error
	if h.Version != 1 {
		errs = append(errs, frame.ErrInvalidVersion)
	}
	if h.Flags&^0xf != 0 {
		errs = append(errs, frame.ErrUnknownFlags)
	}
	switch h.Type {
	case 0, 1:
		if h.StreamID == 0 {
			errs = append(errs, frame.ErrStreamZero)
		}
		if h.Type == 0 && uint64(h.Length) > uint64(max) {
			errs = append(errs, frame.ErrFrameTooLarge)
		}
	case 2, 3:
		if h.StreamID != 0 {
			errs = append(errs, frame.ErrSessionStream)
		}
	default:
		errs = append(errs, frame.ErrUnknownType)
	}
	return errs
}

// FuzzRoundTrip encodes arbitrary header fields and checks that parsing,
// validation and decoding agree with them.
func FuzzRoundTrip(f *testing.F) {
	for _, v := range readGolden(f) {
		h, _ := frame.ParseHeader(v)
		f.Add(h.Version, uint8(h.Type), uint16(h.Flags), h.StreamID, h.Length)
	}
	f.Add(uint8(1), uint8(0), uint16(0), uint32(1), uint32(frame.DefaultMaxFrameSize))
	f.Add(uint8(1), uint8(0), uint16(0), uint32(1), uint32(frame.DefaultMaxFrameSize+1))
	f.Add(uint8(1), uint8(1), uint16(0), uint32(1), uint32(0xffffffff))
	f.Add(uint8(1), uint8(4), uint16(0), uint32(1), uint32(0))
	f.Add(uint8(1), uint8(0), uint16(0x10), uint32(1), uint32(0))
	f.Add(uint8(1), uint8(2), uint16(2), uint32(7), uint32(1))
	f.Add(uint8(1), uint8(0), uint16(1), uint32(0), uint32(0))
	f.Add(uint8(1), uint8(1), uint16(0), uint32(0), uint32(1))
	f.Add(uint8(1), uint8(3), uint16(0), uint32(2), uint32(0))
	f.Add(uint8(2), uint8(2), uint16(0), uint32(0), uint32(1))
	f.Add(uint8(0), uint8(0xff), uint16(0xffff), uint32(0), uint32(0xffffffff))

	const max = 65536
	f.Fuzz(func(t *testing.T, ver, typ uint8, flags uint16, id, length uint32) {
		h := frame.Header{Version: ver, Type: frame.Type(typ), Flags: frame.Flags(flags), StreamID: id, Length: length}

		var b [frame.HeaderSize]byte
		frame.PutHeader(&b, h)
		want := []byte{ver, typ, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
		binary.BigEndian.PutUint16(want[2:], flags)
		binary.BigEndian.PutUint32(want[4:], id)
		binary.BigEndian.PutUint32(want[8:], length)
		if !bytes.Equal(b[:], want) {
			t.Fatalf("PutHeader(%v) = %x, want %x", h, b, want)
		}
		if got := frame.AppendHeader([]byte{0xee}, h); !bytes.Equal(got[1:], want) || got[0] != 0xee {
			t.Fatalf("AppendHeader(%v) = %x, want ee%x", h, got, want)
		}
		if got, ok := frame.ParseHeader(b[:]); !ok || got != h {
			t.Fatalf("ParseHeader(%x) = %v, %v; want %v", b, got, ok, h)
		}

		err := frame.Validate(h, max)
		bad := violations(h, max)
		if (err == nil) != (len(bad) == 0) || (err != nil && !slices.Contains(bad, err)) {
			t.Fatalf("Validate(%v) = %v, want one of %v", h, err, bad)
		}
		if err != nil {
			dh, p, n, derr := frame.Decode(b[:], max)
			if derr != err || n != 0 || p != nil || dh != h {
				t.Fatalf("Decode(invalid %v) = %v, %v, %d, %v; want the header, nil, 0, %v", h, dh, p, n, derr, err)
			}
			return
		}

		pl := h.PayloadLen()
		if pl > 1<<20 {
			t.Fatalf("Validate accepted %v with a %d-byte payload", h, pl)
		}
		wire := append(b[:], make([]byte, pl)...)
		dh, p, n, derr := frame.Decode(wire, max)
		if derr != nil || dh != h || n != len(wire) || len(p) != pl {
			t.Fatalf("Decode(%v) = %v, %d payload bytes, %d, %v; want it back, %d, %d, nil", h, dh, len(p), n, derr, pl, len(wire))
		}
		if dh, p, n, derr := frame.Decode(wire[:len(wire)-1], max); n != 0 || derr != nil || p != nil {
			t.Fatalf("Decode(%v minus one byte) = %v, %v, %d, %v; want need-more", h, dh, p, n, derr)
		}
	})
}
