package conformance

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
)

// echo copies everything st reads back to it, then half-closes it,
// counting the bytes it moves on g.
func echo(st *core.Stream, g *stallGuard) error {
	if _, err := io.Copy(g.counting(st), st); err != nil {
		st.Reset()
		return fmt.Errorf("echo on stream %d: %w", st.ID(), err)
	}
	return st.Close()
}

// roundTrip writes p on st, half-closes, and checks that the echo matches,
// counting the bytes it moves on g.
func roundTrip(st *core.Stream, p []byte, g *stallGuard) error {
	defer st.Close()
	if _, err := g.counting(st).Write(p); err != nil {
		return fmt.Errorf("stream %d: Write: %w", st.ID(), err)
	}
	if err := st.CloseWrite(); err != nil {
		return fmt.Errorf("stream %d: CloseWrite: %w", st.ID(), err)
	}
	var got bytes.Buffer
	if _, err := io.Copy(g.counting(&got), st); err != nil {
		return fmt.Errorf("stream %d: reading the echo after %d bytes: %w", st.ID(), got.Len(), err)
	}
	if err := compare(got.Bytes(), p); err != nil {
		return fmt.Errorf("stream %d: echo: %w", st.ID(), err)
	}
	return nil
}

// stallGuard bounds a test whose length depends on throughput by progress,
// not by a deadline: it counts the bytes the test moves and, if none move
// for opTimeout, closes the sessions, which fails every pending call. A
// machine busy enough to make the test slow never fails it; a lost
// wake-up or a deadlock still does, within opTimeout of the last byte.
type stallGuard struct {
	moved   atomic.Int64
	stalled atomic.Bool
	stop    chan struct{}
	done    chan struct{}
}

// guardProgress starts a stallGuard over sessions.
func guardProgress(sessions ...*core.Session) *stallGuard {
	g := &stallGuard{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(g.done)
		tick := time.NewTicker(opTimeout / 20)
		defer tick.Stop()
		last, lastAt := g.moved.Load(), time.Now()
		for {
			select {
			case <-g.stop:
				return
			case now := <-tick.C:
				if m := g.moved.Load(); m != last {
					last, lastAt = m, now
					continue
				}
				if now.Sub(lastAt) >= opTimeout {
					g.stalled.Store(true)
					for _, s := range sessions {
						s.Close()
					}
					return
				}
			}
		}
	}()
	return g
}

// check stops the guard and fails t if it had to end a stall.
func (g *stallGuard) check(t testing.TB, what string) {
	t.Helper()
	close(g.stop)
	<-g.done
	if g.stalled.Load() {
		t.Fatalf("%s: no byte moved for %v; the sessions were closed", what, opTimeout)
	}
}

// counting returns w counting what is written through it on g.
func (g *stallGuard) counting(w io.Writer) io.Writer { return countingWriter{w, &g.moved} }

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// errs collects errors from many goroutines.
type errs struct {
	mu   sync.Mutex
	list []error
}

func (e *errs) add(err error) {
	if err != nil {
		e.mu.Lock()
		e.list = append(e.list, err)
		e.mu.Unlock()
	}
}

func (e *errs) check(t *testing.T) {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.list) > 0 {
		t.Fatalf("%d failures, first: %v", len(e.list), errors.Join(e.list[:min(len(e.list), 5)]...))
	}
}

// serve accepts n streams on s and runs handle on each; ctx bounds the
// accepts.
func serve(ctx context.Context, s *core.Session, n int, wg *sync.WaitGroup, fails *errs, handle func(*core.Stream) error) {
	defer wg.Done()
	for range n {
		st, err := s.AcceptStream(ctx)
		if err != nil {
			fails.add(fmt.Errorf("AcceptStream: %w", err))
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fails.add(handle(st))
		}()
	}
}

// testManyStreams: 1000 streams at once, half opened by each side, each
// echoing a 32 KiB checksummed random payload. It moves 64 MB through
// every layer, so it is bounded by progress (stallGuard), not by a
// deadline that a busy machine could exceed.
func testManyStreams(t *testing.T, mk PairMaker) {
	const perSide, size = 500, 32 << 10
	client, server := mk(t)
	g := guardProgress(client, server)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // a stall ends the sessions, and with them every wait
		select {
		case <-client.Done():
		case <-server.Done():
		case <-ctx.Done():
			return
		}
		cancel()
	}()
	var wg sync.WaitGroup
	var fails errs
	handle := func(st *core.Stream) error { return echo(st, g) }
	wg.Add(2)
	go serve(ctx, server, perSide, &wg, &fails, handle)
	go serve(ctx, client, perSide, &wg, &fails, handle)
	for i := range 2 * perSide {
		opener := client
		if i%2 == 1 {
			opener = server
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := opener.OpenStream(ctx)
			if err != nil {
				fails.add(fmt.Errorf("OpenStream #%d: %w", i, err))
				return
			}
			fails.add(roundTrip(st, Payload(uint64(i), size), g))
		}()
	}
	wg.Wait() // every wait ends: with its data, or when a stall closes the sessions
	g.check(t, "1000 echoing streams")
	fails.check(t)
	waitNumStreams(t, client, 0, "client after all streams finished")
	waitNumStreams(t, server, 0, "server after all streams finished")
}

// testOpenBurst: 1024 short-lived streams opened at the same instant are
// all accepted and served; none is lost or refused.
func testOpenBurst(t *testing.T, mk PairMaker) {
	const n = 1024
	client, server := mk(t)
	var wg sync.WaitGroup
	var fails errs
	wg.Add(1)
	ctx, cancel := contextWithTimeout()
	defer cancel()
	go serve(ctx, server, n, &wg, &fails, func(st *core.Stream) error {
		st.SetDeadline(time.Now().Add(opTimeout))
		req, err := io.ReadAll(st)
		if err != nil {
			st.Reset()
			return fmt.Errorf("stream %d: Read: %w", st.ID(), err)
		}
		if _, err := st.Write(append(req, "!"...)); err != nil {
			st.Reset()
			return fmt.Errorf("stream %d: Write: %w", st.ID(), err)
		}
		return st.Close()
	})
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ctx, cancel := contextWithTimeout()
			defer cancel()
			st, err := client.OpenStream(ctx)
			if err != nil {
				fails.add(fmt.Errorf("OpenStream #%d: %w", i, err))
				return
			}
			st.SetDeadline(time.Now().Add(opTimeout))
			defer st.Close()
			req := binary.BigEndian.AppendUint32(nil, uint32(i))
			if _, err := st.Write(req); err != nil {
				fails.add(fmt.Errorf("stream %d: Write: %w", st.ID(), err))
				return
			}
			st.CloseWrite()
			resp, err := io.ReadAll(st)
			if err != nil || string(resp) != string(req)+"!" {
				fails.add(fmt.Errorf("stream %d: reply %x, %v", st.ID(), resp, err))
			}
		}()
	}
	close(start)
	waitGroup(t, &wg, "1024 streams opened at once")
	fails.check(t)
	waitNumStreams(t, client, 0, "client after the burst")
	waitNumStreams(t, server, 0, "server after the burst")
}
