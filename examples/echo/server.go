package main

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/examples/internal/transports"
)

// serve echoes every stream of every session ln accepts until ctx ends, then
// closes ln and shuts the sessions down, letting open streams finish for up
// to drain.
func serve(ctx context.Context, ln transports.Listener, drain time.Duration) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		sessions = map[*core.Session]bool{}
	)
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var err error
	for {
		sess, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = aerr
				ln.Close()
			}
			break
		}
		mu.Lock()
		sessions[sess] = true
		mu.Unlock()
		wg.Go(func() {
			echoStreams(sess)
			mu.Lock()
			delete(sessions, sess)
			mu.Unlock()
		})
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drain)
	defer cancel()
	mu.Lock()
	for sess := range sessions {
		wg.Go(func() { sess.Shutdown(dctx) })
	}
	mu.Unlock()
	wg.Wait()
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
