package evloop

import "sync"

// writer writes the output of the sessions handed to it (see Wake): those
// with at most one stream, for writes that do not answer input (an open,
// writes back to back). It is a plain goroutine woken through a channel,
// so a hand-off costs a goroutine switch, not a system call; the runtime
// usually runs it on the handing goroutine's P once that goroutine blocks
// (in Read, waiting for the answer), and by then whatever it queued
// meanwhile (an open, its data and its FIN; many small writes) goes out
// in one writev. A Listener or Client has one writer per event loop, and
// each connection uses the same one throughout.
//
// Ownership: wake, quit and done are fixed; mu guards handed, spare and the
// inHand field of every driver that uses this writer.
type writer struct {
	wake chan struct{} // 1-buffered: handed has drivers
	quit chan struct{} // closed by stop
	done chan struct{} // closed when the goroutine has exited

	mu     sync.Mutex
	handed []*loopDriver // drivers whose output the goroutine writes next
	spare  []*loopDriver // the goroutine's last list, reused
}

// startWriter starts a writer's goroutine.
func startWriter() *writer {
	w := &writer{
		wake: make(chan struct{}, 1),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	go w.run()
	return w
}

func (w *writer) run() {
	defer close(w.done)
	for {
		select {
		case <-w.wake:
		case <-w.quit:
			return
		}
		w.mu.Lock()
		todo := w.handed
		w.handed, w.spare = w.spare[:0], nil
		for _, d := range todo {
			d.inHand = false
		}
		w.mu.Unlock()
		for _, d := range todo {
			d.writeOut()
		}
		clear(todo)
		w.mu.Lock()
		w.spare = todo[:0]
		w.mu.Unlock()
	}
}

// hand has the goroutine write d's output soon.
func (w *writer) hand(d *loopDriver) {
	w.mu.Lock()
	added := !d.inHand
	if added {
		d.inHand = true
		w.handed = append(w.handed, d)
	}
	w.mu.Unlock()
	if added {
		select {
		case w.wake <- struct{}{}:
		default: // a wake-up is pending: the goroutine takes d with it
		}
	}
}

// stop ends the goroutine and waits for it. Call it once every connection
// is closed.
func (w *writer) stop() {
	close(w.quit)
	<-w.done
}
