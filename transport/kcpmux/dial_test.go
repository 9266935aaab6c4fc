package kcpmux

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
)

// blackHole returns a UDP socket on 127.0.0.1 that reads and drops every
// packet, and a channel that receives once the first packet has arrived.
// It is closed at cleanup.
func blackHole(t *testing.T) (net.PacketConn, <-chan struct{}) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var buf [2048]byte
		for n := 0; ; n++ {
			if _, _, err := pc.ReadFrom(buf[:]); err != nil {
				return
			}
			if n == 0 {
				close(first)
			}
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		<-done
	})
	return pc, first
}

// TestDialNoAnswer: Dial to a port where nothing answers fails when its
// context ends (its deadline, a cancellation, or DefaultDialTimeout when
// it has no deadline), says that nothing answered, and leaves nothing
// running.
func TestDialNoAnswer(t *testing.T) {
	cases := []struct {
		name string
		// ctx returns Dial's context; first is closed once Dial's first
		// packet has reached the black hole.
		ctx     func(first <-chan struct{}) (context.Context, context.CancelFunc)
		want    error
		atLeast time.Duration // Dial must not give up sooner
	}{
		{"Deadline", func(<-chan struct{}) (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 300*time.Millisecond)
		}, context.DeadlineExceeded, 300 * time.Millisecond},
		{"Cancel", func(first <-chan struct{}) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				select {
				case <-first:
					cancel()
				case <-ctx.Done():
				}
			}()
			return ctx, cancel
		}, context.Canceled, 0},
		{"DefaultTimeout", func(<-chan struct{}) (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, context.DeadlineExceeded, DefaultDialTimeout},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Cleanup(func() { verifyNoLeaks(t) }) // last, after the black hole's
			pc, first := blackHole(t)
			ctx, cancel := c.ctx(first)
			defer cancel()
			type result struct {
				s   *core.Session
				err error
			}
			done := make(chan result, 1)
			start := time.Now()
			go func() {
				s, err := Dial(ctx, pc.LocalAddr().String(), testConfig(nil))
				done <- result{s, err}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(DefaultDialTimeout + testTimeout):
				t.Fatal("Dial still waiting for an answer")
			}
			elapsed := time.Since(start)
			if r.err == nil {
				r.s.Close()
				t.Fatal("Dial succeeded with nothing answering")
			}
			if !errors.Is(r.err, c.want) || !strings.Contains(r.err.Error(), "no answer from a netmux server at "+pc.LocalAddr().String()) {
				t.Fatalf("Dial = %v; want no answer from %v, %v", r.err, pc.LocalAddr(), c.want)
			}
			if elapsed < c.atLeast {
				t.Fatalf("Dial gave up after %v; want at least %v", elapsed, c.atLeast)
			}
		})
	}
}
