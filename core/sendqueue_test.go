package core

import (
	"bytes"
	"slices"
	"testing"

	"github.com/netmux/netmux/core/frame"
)

// outputFrames takes one batch from e and decodes it: the headers and the
// payloads.
func outputFrames(t *testing.T, e *Engine) (hs []frame.Header, payload []byte) {
	t.Helper()
	bufs := e.Output(nil)
	var all []byte
	for _, b := range bufs {
		all = append(all, b...)
	}
	e.Written(nil)
	for len(all) > 0 {
		h, p, n, err := frame.Decode(all, e.s.cfg.MaxFrameSize)
		if err != nil || n == 0 {
			t.Fatalf("decoding the output: %d bytes left, %v", len(all), err)
		}
		hs = append(hs, h)
		payload = append(payload, p...)
		all = all[n:]
	}
	return hs, payload
}

// counting returns n bytes of a counting pattern starting at from.
func counting(from, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(from + i)
	}
	return b
}

// Many small writes coalesce into one frame.
func TestSmallWritesCoalesceIntoOneFrame(t *testing.T) {
	e, sts := manualSession(t, DefaultConfig(), 1)
	st := sts[0]
	const n, size = 300, 100
	for i := range n {
		queue(t, st, 0, true) // an empty write queues nothing
		if got, err := st.sess.tx.write(st, counting(i*size, size)); err != nil || got != size {
			t.Fatalf("write %d: %d, %v", i, got, err)
		}
	}
	hs, payload := outputFrames(t, e)
	if len(hs) != 1 || hs[0].Length != n*size || hs[0].Flags != 0 || hs[0].StreamID != st.id {
		t.Fatalf("frames %v; want one Data frame of %d bytes", hs, n*size)
	}
	if !bytes.Equal(payload, counting(0, n*size)) {
		t.Fatal("the coalesced frame's payload differs from what was written")
	}
}

// Writes of any size fill full frames in order, the last one partial, and
// CloseWrite sets FIN on that last frame rather than sending an empty one.
func TestFramesFillInOrderAndFinGoesOnTheLast(t *testing.T) {
	e, sts := manualSession(t, DefaultConfig(), 1)
	st := sts[0]
	mf := e.s.cfg.MaxFrameSize
	total := 0
	for _, size := range []int{7, mf, 3000, mf + 5, 100} {
		queue(t, st, 0, true)
		if got, err := st.sess.tx.write(st, counting(total, size)); err != nil || got != size {
			t.Fatalf("write of %d: %d, %v", size, got, err)
		}
		total += size
	}
	if err := st.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	hs, payload := outputFrames(t, e)
	var lens []int
	for i, h := range hs {
		lens = append(lens, int(h.Length))
		if fin := h.Flags == frame.FlagFIN; fin != (i == len(hs)-1) || h.Flags&^frame.FlagFIN != 0 {
			t.Fatalf("frame %d of %d has flags %v; want FIN on the last only", i, len(hs), h.Flags)
		}
	}
	want := []int{mf, mf, total - 2*mf}
	if !slices.Equal(lens, want) {
		t.Fatalf("frame lengths %v; want %v", lens, want)
	}
	if !bytes.Equal(payload, counting(0, total)) {
		t.Fatal("the payload differs from what was written")
	}
}
