package conformance

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
)

// echo copies everything st reads back to it, then half-closes it.
func echo(st *core.Stream) error {
	st.SetDeadline(time.Now().Add(opTimeout))
	if _, err := io.Copy(st, st); err != nil {
		st.Reset()
		return fmt.Errorf("echo on stream %d: %w", st.ID(), err)
	}
	return st.Close()
}

// roundTrip writes p on st, half-closes, and checks that the echo matches.
func roundTrip(st *core.Stream, p []byte) error {
	st.SetDeadline(time.Now().Add(opTimeout))
	defer st.Close()
	if _, err := st.Write(p); err != nil {
		return fmt.Errorf("stream %d: Write: %w", st.ID(), err)
	}
	if err := st.CloseWrite(); err != nil {
		return fmt.Errorf("stream %d: CloseWrite: %w", st.ID(), err)
	}
	got, err := io.ReadAll(st)
	if err != nil {
		return fmt.Errorf("stream %d: reading the echo after %d bytes: %w", st.ID(), len(got), err)
	}
	if err := compare(got, p); err != nil {
		return fmt.Errorf("stream %d: echo: %w", st.ID(), err)
	}
	return nil
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

// serve accepts n streams on s and runs handle on each.
func serve(s *core.Session, n int, wg *sync.WaitGroup, fails *errs, handle func(*core.Stream) error) {
	defer wg.Done()
	ctx, cancel := contextWithTimeout()
	defer cancel()
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
// echoing a 32 KiB checksummed random payload.
func testManyStreams(t *testing.T, mk PairMaker) {
	const perSide, size = 500, 32 << 10
	client, server := mk(t)
	var wg sync.WaitGroup
	var fails errs
	wg.Add(2)
	go serve(server, perSide, &wg, &fails, echo)
	go serve(client, perSide, &wg, &fails, echo)
	for i := range 2 * perSide {
		opener := client
		if i%2 == 1 {
			opener = server
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := contextWithTimeout()
			defer cancel()
			st, err := opener.OpenStream(ctx)
			if err != nil {
				fails.add(fmt.Errorf("OpenStream #%d: %w", i, err))
				return
			}
			fails.add(roundTrip(st, Payload(uint64(i), size)))
		}()
	}
	waitGroup(t, &wg, "1000 echoing streams")
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
	go serve(server, n, &wg, &fails, func(st *core.Stream) error {
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
