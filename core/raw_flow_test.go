package core_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// sendData sends n bytes on stream id in frames of at most 64 KiB.
func (p *rawPeer) sendData(id uint32, n int) {
	p.t.Helper()
	chunk := bytes.Repeat([]byte{'d'}, frame.DefaultMaxFrameSize)
	for n > 0 {
		k := min(n, len(chunk))
		p.send(hdr(frame.TypeData, 0, id, uint32(k)), chunk[:k])
		n -= k
	}
}

// Exactly the initial 256 KiB window is accepted without a WindowUpdate;
// one byte more is a FlowControlError.
func TestRawWindowOverrun(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.sendSYN(1, nil)
	p.sendData(1, frame.InitialWindow)
	p.ping(1) // still fine
	p.send(hdr(frame.TypeData, 0, 1, 1), []byte("!"))
	p.expectGoAway(frame.CodeFlowControlError)
}

// Credit granted by the session's WindowUpdates may be used: the peer can
// keep sending as long as the application reads.
func TestRawWindowReplenished(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, func(c *core.Config) { c.MaxStreamWindow = frame.InitialWindow })
	p.sendSYN(1, nil)
	st := p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	for i := range 8 {
		p.sendData(1, frame.InitialWindow)
		// All of it is in (a reader that empties its buffer gets credit
		// back sooner). Reading exactly half the window returns exactly
		// that much.
		p.ping(uint32(10 + i))
		for range 2 {
			readN(t, st, frame.InitialWindow/2)
			p.expect(hdr(frame.TypeWindowUpdate, 0, 1, frame.InitialWindow/2), nil)
		}
	}
	p.ping(2)
}

// After the application reads exactly 128 KiB (half the window), one
// WindowUpdate returns exactly that (the Rust crate's window_update_128k);
// the next one returns the whole count read since (window_update_odd).
func TestRawWindowUpdateGolden(t *testing.T) {
	check := func(t *testing.T, p *rawPeer, st *core.Stream) {
		t.Helper()
		readN(t, st, 128<<10-1)
		p.expectQuiet(10 * time.Millisecond)
		readN(t, st, 1)
		p.expectBytes(golden(t, "window_update_128k"))
		p.sendData(1, 128<<10) // the credit just returned
		readN(t, st, 128<<10-1)
		p.expectQuiet(10 * time.Millisecond)
		readN(t, st, 6)
		p.expectBytes(golden(t, "window_update_odd"))
	}
	t.Run("AutoTuningOff", func(t *testing.T) {
		p := newRawPeer(t, core.RoleServer, func(c *core.Config) { c.MaxStreamWindow = frame.InitialWindow })
		p.write(golden(t, "open_syn"))
		st := p.accept()
		p.expectBytes(golden(t, "accept_ack"))
		p.sendData(1, frame.InitialWindow)
		p.ping(1) // all of it is in: the reader never empties its buffer
		check(t, p, st)
	})
	t.Run("DefaultConfig", func(t *testing.T) {
		p := newRawPeer(t, core.RoleServer, nil)
		p.write(golden(t, "open_syn"))
		st := p.accept()
		p.expectBytes(golden(t, "accept_ack"))
		p.sendData(1, frame.InitialWindow)
		p.ping(1) // all of it is in: the reader never empties its buffer
		// Auto-tuning judges the rate at which half a window is read from
		// the first update on, so the first update returns exactly what was
		// read, as the Rust crate's does.
		readN(t, st, 128<<10-1)
		p.expectQuiet(10 * time.Millisecond)
		readN(t, st, 1)
		p.expectBytes(golden(t, "window_update_128k"))
	})
}

// The session never sends more than the peer's credit: 256 KiB at first,
// then exactly what each WindowUpdate adds.
func TestRawSendRespectsCredit(t *testing.T) {
	p := newRawPeer(t, core.RoleClient, nil)
	st, err := p.sess.OpenStream(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	const total = 512 << 10
	done := make(chan error, 1)
	go func() {
		st.SetWriteDeadline(time.Now().Add(rawTimeout))
		_, err := st.Write(bytes.Repeat([]byte{'w'}, total))
		done <- err
	}()
	received := func(limit int) int {
		n := 0
		for n < limit {
			h, payload := p.next()
			if h.Type != frame.TypeData || h.StreamID != 1 || h.Flags&^frame.FlagSYN != 0 {
				t.Fatalf("session sent %v; want Data on stream 1", h)
			}
			if int(h.Length) > frame.DefaultMaxFrameSize {
				t.Fatalf("session sent a %d-byte frame", h.Length)
			}
			n += len(payload)
		}
		return n
	}
	if n := received(frame.InitialWindow); n != frame.InitialWindow {
		t.Fatalf("received %d bytes; want the initial window %d", n, frame.InitialWindow)
	}
	p.expectQuiet(20 * time.Millisecond)
	p.send(hdr(frame.TypeWindowUpdate, frame.FlagACK, 1, 1000), nil)
	if n := received(1000); n != 1000 {
		t.Fatalf("received %d bytes after a 1000-byte WindowUpdate", n)
	}
	p.expectQuiet(20 * time.Millisecond)
	// Increments saturate at 2^32-1 instead of wrapping to a small credit.
	p.send(hdr(frame.TypeWindowUpdate, 0, 1, 0xFFFFFFFF), nil)
	p.send(hdr(frame.TypeWindowUpdate, 0, 1, 0xFFFFFFFF), nil)
	if n := received(total - frame.InitialWindow - 1000); n != total-frame.InitialWindow-1000 {
		t.Fatalf("received %d bytes after large WindowUpdates", n)
	}
	if err := <-done; err != nil {
		t.Fatalf("Write: %v", err)
	}
}
