package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/netmux/netmux/core/frame"
)

// A reset that frees room in the session's send buffer wakes the writers
// waiting for it, although nothing reaches the transport: the peer reads
// nothing, stream a fills the buffer, b's small Write waits; once a is
// reset, b's bytes are queued at once.
func TestResetWakesWritersWaitingForRoom(t *testing.T) {
	c1, c2 := net.Pipe() // nobody reads c2: the driver's first write blocks
	defer c2.Close()
	cfg := DefaultConfig()
	cfg.KeepAliveInterval = 0
	cfg.MaxSendBuffer = 64 << 10
	s, err := Client(c1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := s.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	aDone := make(chan error, 1)
	go func() {
		_, err := a.Write(make([]byte, 200<<10)) // within credit, beyond the buffer
		aDone <- err
	}()
	awaitRoomWait := func(st *Stream, early <-chan error) {
		t.Helper()
		for !s.waitingForRoom(st) {
			select {
			case err := <-early:
				t.Fatalf("stream %d's Write returned %v before the buffer had room", st.id, err)
			case <-ctx.Done():
				t.Fatalf("stream %d never waited for room in the send buffer", st.id)
			case <-time.After(time.Millisecond):
			}
		}
	}
	awaitRoomWait(a, aDone) // the buffer is full
	bDone := make(chan error, 1)
	go func() {
		b.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, err := b.Write(make([]byte, 12))
		bDone <- err
	}()
	awaitRoomWait(b, bDone)
	a.Reset()
	if err := <-aDone; !errors.Is(err, ErrStreamReset) {
		t.Fatalf("a's Write after Reset: %v; want ErrStreamReset", err)
	}
	if err := <-bDone; err != nil {
		t.Fatalf("b's Write after a freed the buffer: %v", err)
	}
}

// waitingForRoom reports whether st waits for room in the send buffer.
func (s *Session) waitingForRoom(st *Stream) bool {
	s.tx.mu.Lock()
	defer s.tx.mu.Unlock()
	return st.tx.waitRoom || st.tx.waitOwn
}

// manualSession returns a client session whose Output only the test calls,
// with streams opened on it and their SYNs already handed out.
func manualSession(t *testing.T, cfg *Config, streams int) (*Engine, []*Stream) {
	t.Helper()
	cfg.KeepAliveInterval = 0
	e, err := NewEngine(manualDriver{}, RoleClient, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Session().Close() })
	var sts []*Stream
	for range streams {
		st, err := e.Session().OpenStream(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sts = append(sts, st)
	}
	drainOutput(e)
	return e, sts
}

// queue queues n bytes on st as one Write call's attempt does, and checks
// that all of it fit (want true) or none did (want false: st now waits).
func queue(t *testing.T, st *Stream, n int, fits bool) {
	t.Helper()
	got, err := st.sess.tx.write(st, make([]byte, n))
	if err != nil || fits && got != n || !fits && got != 0 {
		t.Fatalf("stream %d: queueing %d bytes queued %d, %v; want all: %v", st.id, n, got, err, fits)
	}
}

// waitState is what the send queue records about st's writer.
func waitState(st *Stream) (room, own bool, promised int) {
	q := &st.sess.tx
	q.mu.Lock()
	defer q.mu.Unlock()
	return st.tx.waitRoom, st.tx.waitOwn, st.tx.promised
}

// Room freed in the send buffer wakes the writers waiting for it in order,
// only as many as it admits, each with its share promised; a woken writer
// that leaves without writing passes its share on, and none is left waiting
// once the room is taken.
func TestRoomWakesWritersInOrderAsFarAsItGoes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxSendBuffer = 64 << 10
	_, sts := manualSession(t, cfg, 6)
	a, b, ws := sts[0], sts[1], sts[2:]
	const hdr = frame.HeaderSize
	queue(t, a, 3*(1000+hdr)-hdr, true)                   // a holds room for three waiters
	queue(t, b, cfg.MaxSendBuffer-3*(1000+hdr)-hdr, true) // the buffer is full
	for _, w := range ws {
		queue(t, w, 1000, false)
	}
	a.Reset() // drops a's frames: room for ws[0..2], not ws[3]
	for i, w := range ws {
		room, _, promised := waitState(w)
		if woken := i < 3; room == woken || woken != (promised == 1000+hdr) {
			t.Fatalf("writer %d after the reset: waiting %v, promised %d; want woken %v", i, room, promised, woken)
		}
	}
	// ws[1] gives up (a deadline): its share goes to ws[3].
	ws[1].sess.tx.stopWaiting(ws[1])
	if room, _, promised := waitState(ws[3]); room || promised != 1000+hdr {
		t.Fatalf("the last writer after the second gave up: waiting %v, promised %d; want woken", room, promised)
	}
	for _, w := range []*Stream{ws[0], ws[2], ws[3]} {
		queue(t, w, 1000, true)
	}
	q := &a.sess.tx
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.roomWaits.empty() || q.promised != 0 || q.queued != cfg.MaxSendBuffer {
		t.Fatalf("after the woken writers wrote: waiters %v, promised %d, queued %d of %d",
			!q.roomWaits.empty(), q.promised, q.queued, cfg.MaxSendBuffer)
	}
}

// A writer waiting for room is not woken for a sliver of what it asked for
// (less than a frame), and writers that come later, however small, queue
// behind it rather than take the room it waits for.
func TestRoomWaitersWaitForAFrameAndAreNotOvertaken(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxSendBuffer = 64 << 10
	_, sts := manualSession(t, cfg, 5)
	a, b, big, small, late := sts[0], sts[1], sts[2], sts[3], sts[4]
	const hdr = frame.HeaderSize
	queue(t, a, 5000, true)
	queue(t, b, cfg.MaxSendBuffer-(5000+hdr)-hdr, true) // the buffer is full
	queue(t, big, 20000, false)
	queue(t, small, 100, false)
	a.Reset() // 5012 bytes free: less than big asked for
	queue(t, late, 100, false)
	for _, w := range []*Stream{big, small, late} {
		if room, _, promised := waitState(w); !room || promised != 0 {
			t.Fatalf("stream %d with a sliver free: waiting %v, promised %d; want still waiting", w.id, room, promised)
		}
	}
	b.Reset()
	for _, w := range []struct {
		st   *Stream
		want int
	}{{big, 20000}, {small, 100}, {late, 100}} {
		if room, _, promised := waitState(w.st); room || promised != w.want+hdr {
			t.Fatalf("stream %d with the buffer free: waiting %v, promised %d; want %d", w.st.id, room, promised, w.want+hdr)
		}
		queue(t, w.st, w.want, true)
	}
}

// A writer held back by its own stream's buffer (four frames) is woken
// when the driver takes that buffer, not by room freed elsewhere.
func TestOwnBufferWaiterWokenWhenItsBufferIsTaken(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxFrameSize = 1024
	e, sts := manualSession(t, cfg, 2)
	a, b := sts[0], sts[1]
	queue(t, b, 3000, true)
	if n, err := a.sess.tx.write(a, make([]byte, 8000)); err != nil || n == 0 || n == 8000 {
		t.Fatalf("queueing 8000 bytes on a 4-frame buffer: %d, %v", n, err)
	}
	queue(t, a, 100, false)
	if room, own, _ := waitState(a); room || !own {
		t.Fatalf("a full stream buffer: waiting for room %v, for its own buffer %v", room, own)
	}
	b.Reset() // frees room in the send buffer, not in a's
	if room, own, promised := waitState(a); room || !own || promised != 0 {
		t.Fatalf("after another stream freed room: waiting for room %v, own %v, promised %d", room, own, promised)
	}
	e.Output(nil)
	if room, own, promised := waitState(a); room || own || promised != 100+frame.HeaderSize {
		t.Fatalf("after Output took a's buffer: waiting for room %v, own %v, promised %d; want woken", room, own, promised)
	}
	queue(t, a, 100, true)
	e.Written(nil)
}

// Many writers share a small send buffer while others give up at random
// deadlines, some holding room promised to them: every byte of the writers
// that do not give up arrives, in order, and none waits forever.
func TestRoomWakeUpsUnderConcurrency(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxFrameSize = 4 << 10
	cfg.MaxSendBuffer = 16 << 10
	client, server := pipePair(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	const streams, total = 16, 96 << 10
	quits := func(id uint32) bool { return id%8 == 3 } // 4 of the 16
	var wg sync.WaitGroup
	errs := make(chan error, 2*streams)
	// The server checks each writer's bytes, a counting pattern, and
	// drains the quitters'.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range streams {
			st, err := server.AcceptStream(ctx)
			if err != nil {
				errs <- err
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := io.ReadAll(st)
				if err != nil {
					errs <- fmt.Errorf("stream %d: read: %w", st.id, err)
				}
				if !quits(st.id) {
					if len(got) != total {
						errs <- fmt.Errorf("stream %d: %d bytes arrived; want %d", st.id, len(got), total)
					}
					for i, c := range got {
						if c != byte(i) {
							errs <- fmt.Errorf("stream %d: byte %d is %d", st.id, i, c)
							break
						}
					}
				}
				st.Close()
			}()
		}
	}()
	pattern := make([]byte, total)
	for i := range pattern {
		pattern[i] = byte(i)
	}
	for i := range streams {
		st, err := client.OpenStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		quitter := quits(st.id)
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer st.Close()
			if quitter {
				// Writes until a short deadline passes mid-wait.
				st.SetWriteDeadline(time.Now().Add(time.Duration(1+rng.IntN(20)) * time.Millisecond))
				for {
					if _, err := st.Write(pattern[:1+rng.IntN(9000)]); err != nil {
						if !errors.Is(err, os.ErrDeadlineExceeded) {
							errs <- fmt.Errorf("quitter %d: %w", st.id, err)
						}
						return
					}
				}
			}
			st.SetWriteDeadline(time.Now().Add(20 * time.Second))
			for p := pattern; len(p) > 0; {
				k := min(len(p), 1+rng.IntN(9000))
				if _, err := st.Write(p[:k]); err != nil {
					errs <- fmt.Errorf("writer %d: %w", st.id, err)
					return
				}
				p = p[k:]
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

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
