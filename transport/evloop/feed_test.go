package evloop

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// nopDriver stands in for the connection in tests of feed alone.
type nopDriver struct{}

func (nopDriver) Wake()        {}
func (nopDriver) Close() error { return nil }

// TestFeedSplits hands a server session the same frames cut into pieces of
// every size from 1 byte up, so that reads end inside headers, between
// header and payload and inside payloads: the partial header kept in carry
// must join the next piece, and the stream must see exactly the data.
func TestFeedSplits(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789"), 15)
	var wire []byte
	h := frame.Header{Version: frame.Version, Type: frame.TypeData, Flags: frame.FlagSYN, StreamID: 1, Length: 100}
	wire = append(frame.AppendHeader(wire, h), payload[:100]...)
	wire = frame.AppendHeader(wire, frame.Header{Version: frame.Version, Type: frame.TypePing, Length: 7})
	h = frame.Header{Version: frame.Version, Type: frame.TypeData, Flags: frame.FlagFIN, StreamID: 1, Length: 50}
	wire = append(frame.AppendHeader(wire, h), payload[100:]...)

	cfg := core.DefaultConfig()
	cfg.KeepAliveInterval = 0
	for piece := 1; piece <= len(wire); piece++ {
		eng, err := core.NewEngine(nopDriver{}, core.RoleServer, cfg)
		if err != nil {
			t.Fatal(err)
		}
		d := &loopDriver{eng: eng}
		for off := 0; off < len(wire); off += piece {
			d.feed(wire[off:min(off+piece, len(wire))])
			if d.inDead {
				t.Fatalf("pieces of %d: Input failed at offset %d", piece, off)
			}
		}
		if d.carryN != 0 {
			t.Fatalf("pieces of %d: %d bytes left in carry", piece, d.carryN)
		}
		got := readStream(t, eng.Session())
		if !bytes.Equal(got, payload) {
			t.Fatalf("pieces of %d: stream read %q, want %q", piece, got, payload)
		}
		closeEngine(eng)
	}
}

// readStream accepts the one stream the peer opened and reads it to EOF.
func readStream(t *testing.T, s *core.Session) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := s.AcceptStream(ctx)
	if err != nil {
		t.Fatalf("AcceptStream: %v", err)
	}
	st.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(st)
	if err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	return got
}

// closeEngine closes the session and plays the driver's part until the
// engine lets go of it, so that no timer outlives the test.
func closeEngine(e *core.Engine) {
	e.Session().Close()
	for out := e.Output(nil); len(out) > 0; out = e.Output(out[:0]) {
		e.Written(nil)
	}
}
