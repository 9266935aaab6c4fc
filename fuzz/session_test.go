package fuzz

import (
	"bytes"
	"context"
	"testing"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// nopDriver lets the fuzz target drive the engine by hand: no I/O at all.
type nopDriver struct{}

func (nopDriver) Wake()        {}
func (nopDriver) Close() error { return nil }

// FuzzSession feeds arbitrary peer input, in arbitrary pieces, to a whole
// session engine (either role) and drains everything it answers. Whatever
// the bytes, the engine must not panic, must never report consuming more
// than it was given, must leave at most a partial header unconsumed, and
// once it reports an error the session must have ended with a GoAway error.
// Every frame it sends must be valid, open streams of its own parity only,
// acknowledge only the peer's, and carry no more payload per stream than
// the credit the fuzzed peer granted. Accepted streams are written to and
// reset, to exercise the send side.
// Input starting with a 0 byte (yamux's version) runs the yamux dialect.
func FuzzSession(f *testing.F) {
	for _, v := range readGolden(f) {
		f.Add(v, []byte{3, 5}, false)
		f.Add(v, []byte{1}, true)
	}
	var open []byte
	open = frame.AppendHeader(open, frame.Header{Version: 1, Type: frame.TypeData, Flags: frame.FlagSYN, StreamID: 1, Length: 5})
	open = append(open, "hello"...)
	open = frame.AppendHeader(open, frame.Header{Version: 1, Type: frame.TypeWindowUpdate, StreamID: 1, Length: 1 << 20})
	open = frame.AppendHeader(open, frame.Header{Version: 1, Type: frame.TypeData, Flags: frame.FlagFIN, StreamID: 1})
	open = frame.AppendHeader(open, frame.Header{Version: 1, Type: frame.TypePing, Length: 9})
	open = frame.AppendHeader(open, frame.Header{Version: 1, Type: frame.TypeGoAway})
	f.Add(open, []byte{7, 1, 12}, false)
	f.Add(bytes.Repeat(open[:17], 40), []byte{200}, false)
	// The same in the yamux dialect, as yamux peers send it: flags on
	// WindowUpdates, a ping request with SYN, an RST carrying a code.
	var yopen []byte
	for _, h := range []frame.Header{
		{Type: frame.TypeWindowUpdate, Flags: frame.FlagSYN, StreamID: 1, Length: 1000},
		{Type: frame.TypeData, StreamID: 1, Length: 5},
		{Type: frame.TypeWindowUpdate, Flags: frame.FlagFIN, StreamID: 1},
		{Type: frame.TypeWindowUpdate, Flags: frame.FlagSYN, StreamID: 3},
		{Type: frame.TypeWindowUpdate, Flags: frame.FlagRST, StreamID: 3, Length: 1<<32 - 1},
		{Type: frame.TypePing, Flags: frame.FlagSYN, Length: 9},
		{Type: frame.TypeGoAway},
	} {
		h.Version = frame.VersionYamux
		yopen = frame.AppendHeader(yopen, h)
		if h.Type == frame.TypeData {
			yopen = append(yopen, "hello"...)
		}
	}
	f.Add(yopen, []byte{7, 1, 12}, false)
	f.Add(yopen, []byte{30}, true)

	f.Fuzz(func(t *testing.T, in, splits []byte, client bool) {
		role := core.RoleServer
		if client {
			role = core.RoleClient
		}
		cfg := core.DefaultConfig()
		cfg.KeepAliveInterval = 0
		cfg.MaxStreams = 16
		cfg.AcceptBacklog = 8
		if len(in) > 0 && in[0] == frame.VersionYamux {
			cfg.Dialect = core.DialectYamux // the input speaks yamux
		}
		e, err := core.NewEngine(nopDriver{}, role, cfg)
		if err != nil {
			t.Fatal(err)
		}
		s := e.Session()
		defer s.Close()
		wire := newWireCheck(t, role, cfg)
		drain := func() {
			for range 1000 {
				bufs := e.Output(nil)
				if len(bufs) == 0 {
					return
				}
				for _, b := range bufs {
					wire.sent(b)
				}
				e.Written(nil)
			}
			t.Fatal("Output never ran dry")
		}

		var buf []byte
		for i := 0; len(in) > 0; i++ {
			k := len(in)
			if len(splits) > 0 {
				k = min(k, int(splits[i%len(splits)])+1)
			}
			buf = append(buf, in[:k]...)
			in = in[k:]
			n, err := e.Input(buf)
			if n < 0 || n > len(buf) {
				t.Fatalf("Input consumed %d of %d bytes", n, len(buf))
			}
			wire.received(buf[:n])
			if err != nil {
				if !s.IsClosed() {
					t.Fatalf("Input failed (%v) but the session goes on", err)
				}
				break
			}
			if len(buf)-n >= frame.HeaderSize {
				t.Fatalf("Input left %d bytes unconsumed; at most a partial header may remain", len(buf)-n)
			}
			buf = append(buf[:0], buf[n:]...)
			drain()
			// Use whatever the peer opened: write, then reset.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			for {
				st, err := s.AcceptStream(ctx)
				if err != nil {
					break
				}
				st.Write([]byte("reply"))
				st.Reset()
			}
			drain()
		}
		s.Close()
		drain()
		e.Closed(nil)
	})
}

// wireCheck checks what a session sends against what its peer sent it.
type wireCheck struct {
	t        *testing.T
	own      uint32 // parity of the ids the session opens: 1 client, 0 server
	out, in  frame.Decoder
	partial  []byte            // the start of a header the last buffer ended with
	inFailed bool              // the peer's bytes stopped being valid
	granted  map[uint32]uint64 // credit the peer gave per stream, beyond the initial window
	payload  map[uint32]uint64 // Data payload the session sent per stream
}

func newWireCheck(t *testing.T, role core.Role, cfg *core.Config) *wireCheck {
	version := frame.Version
	if cfg.Dialect == core.DialectYamux {
		version = frame.VersionYamux
	}
	own := uint32(1)
	if role == core.RoleServer {
		own = 0
	}
	return &wireCheck{
		t: t, own: own,
		out: frame.NewDecoderVersion(version, cfg.MaxFrameSize), in: frame.NewDecoderVersion(version, 1<<30),
		granted: map[uint32]uint64{}, payload: map[uint32]uint64{},
	}
}

// received notes the credit granted by bytes the session consumed.
func (w *wireCheck) received(b []byte) {
	for !w.inFailed && len(b) > 0 {
		pc, n, err := w.in.Next(b)
		if err != nil || n == 0 {
			w.inFailed = err != nil
			return
		}
		b = b[n:]
		if h := pc.Header; pc.Start && h.Type == frame.TypeWindowUpdate {
			w.granted[h.StreamID] += uint64(h.Length)
		}
	}
}

// sent checks the frames in one buffer that Output handed out, which
// continues the byte stream of the buffers before it.
func (w *wireCheck) sent(b []byte) {
	w.t.Helper()
	b = append(w.partial, b...)
	for {
		pc, n, err := w.out.Next(b)
		if err != nil {
			w.t.Fatalf("the session sent an invalid frame %v: %v", pc.Header, err)
		}
		if n == 0 {
			w.partial = append(w.partial[:0], b...) // part of a header
			return
		}
		b = b[n:]
		h := pc.Header
		if pc.Start && (h.Type == frame.TypeData || h.Type == frame.TypeWindowUpdate) {
			if h.Flags&frame.FlagSYN != 0 && h.StreamID&1 != w.own {
				w.t.Fatalf("the session opened stream %d, of the peer's parity: %v", h.StreamID, h)
			}
			if h.Flags&frame.FlagACK != 0 && h.StreamID&1 == w.own {
				w.t.Fatalf("the session acknowledged stream %d, of its own parity: %v", h.StreamID, h)
			}
		}
		if len(pc.Payload) > 0 {
			w.payload[h.StreamID] += uint64(len(pc.Payload))
			if limit := frame.InitialWindow + w.granted[h.StreamID]; w.payload[h.StreamID] > limit {
				w.t.Fatalf("the session sent %d bytes on stream %d; the peer granted %d", w.payload[h.StreamID], h.StreamID, limit)
			}
		}
	}
}
