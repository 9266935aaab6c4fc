package bench

import (
	"net"
	"sync"
	"time"
)

// relayChunk is the most a relay reads at once; relaySlots is how many reads
// it queues per direction. With the read in hand and the write under way,
// a direction holds at most relaySlots+2 chunks (about 32 MiB): more than any
// implementation here keeps in flight over 25 ms, so the bound never
// limits bandwidth, yet a peer that stops reading stops the relay too.
const (
	relayChunk = 64 << 10
	relaySlots = 512
)

// relayBufs holds the relays' read buffers of relayChunk bytes.
var relayBufs = sync.Pool{New: func() any { b := make([]byte, relayChunk); return &b }}

// delayedConn returns both ends of a loopback link on which every byte, in
// each direction, arrives delay after it was sent: two loopback TCP
// connections joined by an in-process relay. Closing either end tears the
// link down.
func delayedConn(delay time.Duration) (client, server net.Conn, err error) {
	client, near, err := loopbackConn()
	if err != nil {
		return nil, nil, err
	}
	far, server, err := loopbackConn()
	if err != nil {
		client.Close()
		near.Close()
		return nil, nil, err
	}
	startRelay(near, far, delay, relaySlots)
	return client, server, nil
}

// relay joins two connections: what arrives on one is written to the other
// delay later, in order, holding at most slots+2 chunks per direction.
// When either side fails (a read error, EOF included, or a write error),
// the relay passes on what it already read, where it can, and closes both.
type relay struct {
	delay time.Duration
	a, b  net.Conn
	once  sync.Once
	done  chan struct{} // closed by close
}

// chunk is one read, due for writing at due.
type chunk struct {
	buf *[]byte
	n   int
	due time.Time
}

// startRelay starts relaying between a and b on four goroutines (a reader
// and a writer per direction), which end once both connections are closed.
func startRelay(a, b net.Conn, delay time.Duration, slots int) {
	r := &relay{delay: delay, a: a, b: b, done: make(chan struct{})}
	for _, d := range [][2]net.Conn{{a, b}, {b, a}} {
		queue := make(chan chunk, slots)
		go r.read(d[0], queue)
		go r.write(queue, d[1])
	}
}

// close closes both connections, once.
func (r *relay) close() {
	r.once.Do(func() {
		close(r.done)
		r.a.Close()
		r.b.Close()
	})
}

// read queues what arrives on src, stamped with its due time, until src
// fails; then it closes the queue.
func (r *relay) read(src net.Conn, queue chan<- chunk) {
	defer close(queue)
	for {
		bp := relayBufs.Get().(*[]byte)
		n, err := src.Read(*bp)
		if n > 0 {
			queue <- chunk{buf: bp, n: n, due: time.Now().Add(r.delay)}
		} else {
			relayBufs.Put(bp)
		}
		if err != nil {
			return
		}
	}
}

// write writes each queued chunk to dst when it is due. After the queue
// closes, or dst fails, or the relay closes, it closes the relay; what is
// still queued then is dropped, so that read is never left blocked.
func (r *relay) write(queue <-chan chunk, dst net.Conn) {
	defer r.close()
	wait := time.NewTimer(r.delay)
	wait.Stop()
	live := true
	for c := range queue {
		if live {
			live = r.waitUntil(wait, c.due)
		}
		if live {
			if _, err := dst.Write((*c.buf)[:c.n]); err != nil {
				live = false
				r.close()
			}
		}
		relayBufs.Put(c.buf)
	}
}

// waitUntil waits on t until due; it reports false if the relay closed first.
func (r *relay) waitUntil(t *time.Timer, due time.Time) bool {
	d := time.Until(due)
	if d <= 0 {
		return true
	}
	t.Reset(d)
	select {
	case <-t.C:
		return true
	case <-r.done:
		return false
	}
}
