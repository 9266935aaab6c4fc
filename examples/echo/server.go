package main

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/examples/internal/transports"
)

// serve echoes every stream of every session ln accepts until ctx ends (or
// ln fails), then shuts the sessions down, letting open streams finish for
// up to drain, and closes ln.
func serve(ctx context.Context, ln transports.Listener, drain time.Duration) error {
	var (
		wg       sync.WaitGroup // the sessions' echo loops
		mu       sync.Mutex
		sessions = map[*core.Session]bool{}
		closing  bool
	)
	failed := make(chan error, 1)
	var accepting sync.WaitGroup
	accepting.Go(func() {
		for {
			sess, err := ln.Accept()
			if err != nil {
				failed <- err
				return
			}
			mu.Lock()
			if closing {
				mu.Unlock()
				sess.Close()
				continue
			}
			sessions[sess] = true
			// Added under mu, before closing can be seen: a wg.Go after
			// the drain below began its wg.Wait would race with it.
			wg.Go(func() {
				echoStreams(sess)
				mu.Lock()
				delete(sessions, sess)
				mu.Unlock()
			})
			mu.Unlock()
		}
	})

	var err error
	select {
	case <-ctx.Done():
	case err = <-failed:
	}
	// Drain before closing ln: closing a listener may close its sessions
	// (the gnet transport's does).
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drain)
	defer cancel()
	mu.Lock()
	closing = true
	for sess := range sessions {
		wg.Go(func() { sess.Shutdown(dctx) })
	}
	mu.Unlock()
	wg.Wait()
	ln.Close()
	accepting.Wait()
	return err
}

// echoStreams echoes each stream of sess until the session ends.
func echoStreams(sess *core.Session) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		st, err := sess.AcceptStream(context.Background())
		if err != nil {
			return
		}
		wg.Go(func() {
			defer st.Close()
			io.Copy(st, st)
		})
	}
}
