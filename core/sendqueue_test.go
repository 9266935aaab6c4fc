package core

import (
	"bytes"
	"slices"
	"testing"

	"github.com/netmux/netmux/core/frame"
)

// outputFrames takes one batch from e and decodes it: the headers and the
// payloads, and how many slices the batch had.
func outputFrames(t *testing.T, e *Engine) (hs []frame.Header, payload []byte, slices int) {
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
	return hs, payload, len(bufs)
}

// counting returns n bytes of a counting pattern starting at from.
func counting(from, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(from + i)
	}
	return b
}

// Many small writes coalesce into one frame, however many links its bytes
// span.
func TestSmallWritesCoalesceIntoOneFrame(t *testing.T) {
	e, sts := manualSession(t, DefaultConfig(), 1)
	st := sts[0]
	const n, size = 300, 100 // 30000 bytes: beyond the first link
	for i := range n {
		queue(t, st, 0, true) // an empty write queues nothing
		if got, err := st.sess.tx.write(st, counting(i*size, size)); err != nil || got != size {
			t.Fatalf("write %d: %d, %v", i, got, err)
		}
	}
	hs, payload, nbufs := outputFrames(t, e)
	if len(hs) != 1 || hs[0].Length != n*size || hs[0].Flags != 0 || hs[0].StreamID != st.id {
		t.Fatalf("frames %v; want one Data frame of %d bytes", hs, n*size)
	}
	if !bytes.Equal(payload, counting(0, n*size)) {
		t.Fatal("the coalesced frame's payload differs from what was written")
	}
	if nbufs < 2 {
		t.Fatalf("%d slices: the test meant the frame to span links", nbufs)
	}
}

// A stream's frames leave as a few slices (its chain's links, each at
// least as large as the chain before it), full frames first, and the FIN
// lands on the last frame even when its header lies in an earlier link.
func TestChainHoldsFramesAndFinGoesOnTheLast(t *testing.T) {
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
	hs, payload, nbufs := outputFrames(t, e)
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
	if nbufs > 4 {
		t.Fatalf("%d slices for %d bytes: links do not grow", nbufs, total)
	}
}

// The FIN is set on the last frame's header where it lies, in an earlier
// link than the frame's last bytes.
func TestFinPatchedIntoAnEarlierLink(t *testing.T) {
	e, sts := manualSession(t, DefaultConfig(), 1)
	st := sts[0]
	queue(t, st, 5000, true) // the first link (5 KiB) nearly full
	queue(t, st, 1000, true) // the frame goes on in a second link
	q := &st.sess.tx
	q.mu.Lock()
	split := st.tx.hdr != st.tx.tail
	q.mu.Unlock()
	if !split {
		t.Fatal("the frame did not span two links: the test needs new sizes")
	}
	if err := st.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	hs, payload, _ := outputFrames(t, e)
	if len(hs) != 1 || hs[0].Length != 6000 || hs[0].Flags != frame.FlagFIN || len(payload) != 6000 {
		t.Fatalf("frames %v; want one 6000-byte Data frame with FIN", hs)
	}
}
