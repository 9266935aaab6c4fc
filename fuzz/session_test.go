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
// Accepted streams are written to and reset, to exercise the send side.
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
		drain := func() {
			for range 1000 {
				if len(e.Output(nil)) == 0 {
					return
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
