package evloop

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// writeWaiter is the background writer of one Listener or Client: one
// goroutine, with an epoll (kqueue) instance of its own, serving every
// connection, none per connection. It writes
//
//   - for drivers handed to it (see Wake): output queued back to back,
//     with no input in between, so that it goes out in batches rather than
//     one system call per Write;
//   - for sockets that did not take a whole batch (see direct.go): the
//     rest and what follows, once the kernel reports room.
//
// gnet's loops cannot do either without the bytes going through gnet's
// outbound or task queue, which copy and allocate on every write and
// every hand-off.
//
// Each armed socket is reported once (one-shot): the writer arms it again
// if it is still full. A driver is forgotten in OnClose, before gnet
// closes its descriptor, so an event never reaches the wrong connection
// (at worst a stale one makes a driver try a write that finds no room).
//
// Ownership: the poller's descriptors are fixed; mu guards conns, handed,
// spare and every driver's inHand; kicked and stopping are atomic.
type writeWaiter struct {
	poller               // the platform's part: epoll or kqueue
	done   chan struct{} // closed when the goroutine has exited

	kicked   atomic.Bool // the poller has been kicked and not yet served
	stopping atomic.Bool

	mu     sync.Mutex
	conns  map[int]*loopDriver
	handed []*loopDriver // drivers whose output the goroutine writes next
	spare  []*loopDriver // the goroutine's copy of handed, reused
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
			if w.stopping.Load() {
				return
			}
			w.kicked.Store(false) // hands from now on kick again
			w.mu.Lock()
			todo := w.handed
			w.handed, w.spare = w.spare[:0], nil
			for _, d := range todo {
				d.inHand = false
			}
			w.mu.Unlock()
			for _, d := range todo {
				d.writable()
			}
			clear(todo)
			w.mu.Lock()
			w.spare = todo[:0]
			w.mu.Unlock()
			// Let the writers run before waiting again (as gnet's loops
			// do): what they queue meanwhile goes out in one batch.
			runtime.Gosched()
		}
		for _, fd := range ready[:n] {
			w.mu.Lock()
			d := w.conns[fd]
			w.mu.Unlock()
			if d != nil {
				d.writable()
			}
		}
	}
}

// hand has the goroutine write d's output soon.
func (w *writeWaiter) hand(d *loopDriver) {
	w.mu.Lock()
	if !d.inHand {
		d.inHand = true
		w.handed = append(w.handed, d)
	}
	w.mu.Unlock()
	if w.kicked.CompareAndSwap(false, true) {
		_ = w.kick() // fails only if the descriptor does; close then gives up waiting too
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
	w.stopping.Store(true)
	if w.kick() == nil {
		<-w.done
	}
	w.release()
}
