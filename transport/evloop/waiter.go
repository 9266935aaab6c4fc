package evloop

import "sync"

// writeWaiter waits for room in the sockets of one Listener or Client: one
// goroutine with an epoll (kqueue) instance of its own, serving every
// connection, none per connection. A socket that did not take a whole
// batch is armed (see direct.go); once the kernel reports room, the
// goroutine writes the rest and what the session queued meanwhile, in
// order. gnet's own outbound queue, which would do this for us, copies
// every byte and allocates on every write.
//
// Each armed socket is reported once (one-shot): the write arms it again
// if it is still full. A driver is forgotten in OnClose, before gnet
// closes its descriptor, so an event never reaches the wrong connection
// (at worst a stale one makes a driver try a write that finds no room).
//
// Ownership: the poller's descriptors are fixed; mu guards conns.
type writeWaiter struct {
	poller               // the platform's part: epoll or kqueue
	done   chan struct{} // closed when the goroutine has exited

	mu    sync.Mutex
	conns map[int]*loopDriver
}

// startWriteWaiter opens the poller and starts the goroutine.
func startWriteWaiter() (*writeWaiter, error) {
	w := &writeWaiter{done: make(chan struct{}), conns: make(map[int]*loopDriver)}
	if err := w.open(); err != nil {
		return nil, err
	}
	go w.run()
	return w, nil
}

func (w *writeWaiter) run() {
	defer close(w.done)
	var ready [64]int
	for {
		n, kicked := w.wait(ready[:])
		if kicked {
			return // only close kicks
		}
		for _, fd := range ready[:n] {
			w.mu.Lock()
			d := w.conns[fd]
			w.mu.Unlock()
			if d != nil {
				d.writeOut()
			}
		}
	}
}

// add makes d's socket known, unwatched until armed.
func (w *writeWaiter) add(d *loopDriver) {
	w.mu.Lock()
	w.conns[d.fd] = d
	w.mu.Unlock()
}

// forget stops watching d's socket; called in OnClose, before gnet closes
// the descriptor.
func (w *writeWaiter) forget(d *loopDriver) {
	w.mu.Lock()
	if w.conns[d.fd] == d {
		delete(w.conns, d.fd)
	}
	w.mu.Unlock()
	w.disarm(d.fd)
}

// close stops the goroutine, waits for it and releases the poller. Call
// it once every connection is closed.
func (w *writeWaiter) close() {
	if w.kick() == nil {
		<-w.done
	}
	w.release()
}
