package core

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netmux/netmux/core/internal/ring"
)

// A deadline moved into the future while its timer fires is never left
// marked exceeded: fire decides under the same lock as set. Two goroutines
// meet at a spinning barrier each round so that the calls overlap.
func TestDeadlineMovedWhileFiring(t *testing.T) {
	var w waiter
	w.setDeadline(time.Now().Add(time.Hour))
	d := w.dl.Load()
	defer d.stop()
	rounds := 20000
	if raceEnabled {
		rounds = 2000 // each round is some 20 times slower
	}
	var round atomic.Int64 // even: the firer may go; odd: the setter may go
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range int64(rounds) {
			for round.Load() != 2*i+1 {
			}
			d.set(time.Now().Add(time.Hour))
			round.Add(1)
		}
	}()
	for i := range int64(rounds) {
		d.mu.Lock()
		d.at = time.Now().Add(-time.Millisecond) // due: fire will mark it
		d.mu.Unlock()
		d.exceeded.Store(false)
		round.Add(1) // release the setter, then fire at once
		d.fire()
		for round.Load() != 2*i+2 {
		}
		if w.exceeded() {
			t.Fatalf("round %d: deadline moved an hour ahead but marked exceeded", i)
		}
	}
	<-done
}

// Streams that end stop their deadline timers, so that a long deadline does
// not keep finished streams in memory until it expires; a deadline set on a
// finished stream arms no timer.
func TestEndedStreamStopsDeadlineTimers(t *testing.T) {
	cfg := DefaultConfig()
	cfg.KeepAliveInterval = 0
	client, server := pipePair(t, cfg)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	const n = 20
	var streams []*Stream
	for range n {
		a, err := client.OpenStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a.SetDeadline(time.Now().Add(time.Minute))
		a.Write([]byte("ping"))
		a.CloseWrite()
		b, err := server.AcceptStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b.SetDeadline(time.Now().Add(time.Minute))
		if _, err := io.Copy(b, b); err != nil {
			t.Fatal(err)
		}
		b.Close()
		if _, err := io.ReadAll(a); err != nil {
			t.Fatal(err)
		}
		a.Close()
		streams = append(streams, a, b)
	}
	for _, s := range []*Session{client, server} {
		for s.NumStreams() > 0 {
			select {
			case <-ctx.Done():
				t.Fatalf("%d streams still open", s.NumStreams())
			case <-time.After(time.Millisecond):
			}
		}
	}
	for _, st := range streams {
		st.SetReadDeadline(time.Now().Add(time.Hour)) // after the end: no timer
		for _, w := range []*waiter{&st.rw, &st.ww} {
			d := w.dl.Load()
			d.mu.Lock()
			stopped, timer := d.stopped, d.timer
			d.mu.Unlock()
			if !stopped || timer != nil {
				t.Fatalf("stream %d ended but its deadline timer is still armed", st.id)
			}
		}
	}
}

// A Read's offered buffer takes payload only for its own stream, only while
// that stream's ring holds nothing unread (else the payload would overtake
// bytes before it), and withdraw returns what was put in it.
func TestOfferedBufferTakesOnlyInOrderPayload(t *testing.T) {
	var mine, other ring.Ring
	p := make([]byte, 8)
	k := wakeups.Get().(*wakeup)
	defer wakeups.Put(k)

	k.offer(p, &mine)
	if _, ok := k.claim(&other); ok {
		t.Fatal("another stream's dispatcher claimed the buffer")
	}
	mine.Write([]byte("old")) // arrived after the offer: it must be read first
	if _, ok := k.claim(&mine); ok {
		t.Fatal("claimed the buffer while the ring held unread bytes")
	}
	if n := k.withdraw(); n != 0 {
		t.Fatalf("withdraw = %d, want 0", n)
	}
	if got := make([]byte, 8); string(got[:mine.Read(got)]) != "old" {
		t.Fatal("ring lost its bytes")
	}

	k.offer(p, &mine) // the ring is empty now
	space, ok := k.claim(&mine)
	if !ok || len(space) != 8 {
		t.Fatalf("claim = %d bytes, %v; want 8, true", len(space), ok)
	}
	k.release(copy(space, "hello"))
	space, ok = k.claim(&mine) // a second piece of payload goes behind
	if !ok || len(space) != 3 {
		t.Fatalf("second claim = %d bytes, %v; want 3, true", len(space), ok)
	}
	k.release(copy(space, ", world"))
	if _, ok := k.claim(&mine); ok {
		t.Fatal("claimed a full buffer")
	}
	if n := k.withdraw(); n != 8 || string(p) != "hello, w" {
		t.Fatalf("withdraw = %d, buffer %q; want 8, \"hello, w\"", n, p)
	}
	if _, ok := k.claim(&mine); ok {
		t.Fatal("claimed a withdrawn buffer")
	}
}
