package ring

import (
	"bytes"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// The concurrent tests mirror real use: one producer goroutine, one consumer
// goroutine, and credit flow control bounding how far the producer may run
// ahead. Coordination is by channels only; nothing sleeps or spins.

// link carries flow control between a producer and a consumer: credit
// returns read byte counts to the producer, notify wakes the consumer after
// a write. Both have capacity 1 and are only ever sent to without blocking
// or while also waiting on the other side, so neither side can deadlock.
type link struct {
	credit chan int
	notify chan struct{}
	stop   chan struct{} // closed when the consumer gives up
}

func newLink() *link {
	return &link{credit: make(chan int, 1), notify: make(chan struct{}, 1), stop: make(chan struct{})}
}

// sender is the producer side: it writes to q, never letting more than
// limit bytes be unread.
type sender struct {
	l           *link
	q           *Ring
	limit       int
	outstanding int // written but not yet credited back
}

// write writes p once the window allows; it reports false if the consumer
// stopped first.
func (s *sender) write(p []byte) bool {
	for s.outstanding+len(p) > s.limit {
		select {
		case c := <-s.l.credit:
			s.outstanding -= c
		case <-s.l.stop:
			return false
		}
	}
	if len(p)%2 == 0 {
		s.q.Write(p)
	} else {
		// Half the time, as a vectored read into reserved space does.
		fillReserved(s.q.Reserve(nil, len(p)+chunkSize), p)
		s.q.Commit(len(p))
	}
	s.outstanding += len(p)
	select {
	case s.l.notify <- struct{}{}:
	default: // a wake-up is already pending
	}
	return true
}

// receiver is the consumer side of a link.
type receiver struct {
	l       *link
	pending int // read but not yet credited back
}

// consumed returns credit for n bytes, without blocking.
func (r *receiver) consumed(n int) {
	r.pending += n
	if r.pending == 0 {
		return
	}
	select {
	case r.l.credit <- r.pending:
		r.pending = 0
	default: // the producer has not taken the last credit yet
	}
}

// wait blocks until the producer has written again or has taken credit.
func (r *receiver) wait() {
	if r.pending == 0 {
		<-r.l.notify
		return
	}
	select {
	case r.l.credit <- r.pending:
		r.pending = 0
	case <-r.l.notify:
	}
}

// stream is a deterministic pseudo-random byte stream: byte i of stream
// base is pattern[(base+i)%period]. The period is prime, so it never lines
// up with chunk boundaries, and pattern extends past the period so every
// window up to maxWindow bytes is one contiguous slice.
const (
	period    = 1<<20 - 3 // prime
	maxWindow = 256 << 10
)

var pattern = sync.OnceValue(func() []byte {
	p := randBytes(11, period+maxWindow)
	copy(p[period:], p[:maxWindow])
	return p
})

func window(base, pos, n int) []byte {
	o := (base + pos) % period
	return pattern()[o : o+n]
}

// logUniform returns a size in [lo, hi] whose logarithm is uniform, so small
// and large sizes are equally common.
func logUniform(rng *rand.Rand, lo, hi int) int {
	l, h := math.Log(float64(lo)), math.Log(float64(hi)+1)
	return min(hi, int(math.Exp(l+rng.Float64()*(h-l))))
}

type stressConfig struct {
	total            int // bytes through the ring
	limit            int // max unread bytes (flow control window)
	minWrite         int
	maxWrite         int
	minRead, maxRead int
	discardEvery     int // 1 in discardEvery consumer steps is a Discard; 0: never
	// slowProducer makes the producer copy each piece a few times before
	// writing it (standing in for decoding the frame it came in) and let
	// other goroutines run after each write, so a woken consumer need not
	// wait for the producer to block: the consumer keeps up and drains the
	// ring after nearly every write.
	slowProducer bool
	// pollingConsumer makes the consumer, finding the ring empty, yield
	// and try again instead of blocking, so it is often reading at the
	// very moment the producer publishes.
	pollingConsumer bool
}

// runStress moves cfg.total bytes through one ring and checks every byte.
// base selects the stream, seed the random piece sizes.
func runStress(t *testing.T, cfg stressConfig, base int, seed uint64) {
	var q Ring
	l := newLink()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // producer
		defer wg.Done()
		rng := rand.New(rand.NewPCG(seed, 1))
		s := sender{l: l, q: &q, limit: cfg.limit}
		stage := make([]byte, cfg.maxWrite)
		for pos := 0; pos < cfg.total; {
			n := min(logUniform(rng, cfg.minWrite, cfg.maxWrite), cfg.total-pos)
			p := window(base, pos, n)
			if cfg.slowProducer {
				for range 4 {
					p = stage[:copy(stage, p)]
				}
			}
			if !s.write(p) {
				return
			}
			if cfg.slowProducer {
				runtime.Gosched()
			}
			pos += n
		}
	}()

	// Consumer, on the test goroutine.
	defer wg.Wait()
	defer close(l.stop) // on failure, let the producer exit
	rng := rand.New(rand.NewPCG(seed, 2))
	r := receiver{l: l}
	buf := make([]byte, cfg.maxRead)
	discarded, retires := 0, 0
	for got := 0; got < cfg.total; {
		if cfg.discardEvery > 0 && rng.IntN(cfg.discardEvery) == 0 {
			n := q.Discard()
			if got+n > cfg.total {
				t.Fatalf("Discard at %d dropped %d bytes, past the end %d", got, n, cfg.total)
			}
			got += n
			discarded += n
			if n > 0 {
				r.consumed(n)
				continue
			}
			r.wait()
			continue
		}
		b := q.Buffered()
		if b < 0 || got+b > cfg.total {
			t.Fatalf("Buffered() = %d at %d of %d", b, got, cfg.total)
		}
		p := buf[:logUniform(rng, cfg.minRead, cfg.maxRead)]
		n := q.Read(p)
		if n < min(b, len(p)) || n > len(p) {
			t.Fatalf("Read(%d) = %d with %d buffered", len(p), n, b)
		}
		if n == 0 {
			if cfg.pollingConsumer {
				r.consumed(0) // flush credit without blocking
				runtime.Gosched()
			} else {
				r.wait()
			}
			continue
		}
		if got+n > cfg.total {
			t.Fatalf("read %d bytes at %d, past the end %d", n, got, cfg.total)
		}
		if want := window(base, got, n); !bytes.Equal(p[:n], want) {
			i := 0
			for p[i] == want[i] {
				i++
			}
			t.Fatalf("stream %d: byte %d: got %#x, want %#x (read of %d at %d)", base, got+i, p[i], want[i], n, got)
		}
		got += n
		if !q.HoldsMemory() {
			retires++ // this Read drained the ring and released its chunk
		}
		r.consumed(n)
	}
	wg.Wait()
	t.Logf("%d bytes, %d retires, %d discarded", cfg.total, retires, discarded)

	// Both sides are done: the last consumer call drained the ring after
	// the last write was published, so its chunk must have been released.
	checkIdle(t, &q, 0)
	if n := q.Read(buf); n != 0 {
		t.Fatalf("Read after end = %d", n)
	}
}

func stressTotal() int {
	switch {
	case testing.Short():
		return 8 << 20
	case raceEnabled:
		return 32 << 20
	default:
		return 64 << 20
	}
}

var stressCases = []struct {
	name string
	cfg  stressConfig
}{
	// Random pieces both sides.
	{"balanced", stressConfig{limit: 4 << 20, minWrite: 1, maxWrite: 100 << 10, minRead: 1, maxRead: 100 << 10}},
	// The consumer reads more than any write and gets to run after every
	// write, so it drains the ring (and retires its chunk) over and over.
	{"consumer-faster", stressConfig{limit: 128 << 10, minWrite: 1, maxWrite: 100 << 10, minRead: 128 << 10, maxRead: 256 << 10, slowProducer: true}},
	// Consumer reads small pieces; the producer is held back by the
	// flow-control window nearly all the time.
	{"producer-faster", stressConfig{limit: 4 << 20, minWrite: 16 << 10, maxWrite: 100 << 10, minRead: 1, maxRead: 8 << 10}},
	// Tiny writes, each usually read on its own: the most retire / fresh
	// hand-offs per second, racing the producer's start of a write against
	// the consumer's release.
	{"tiny-writes", stressConfig{limit: 4 << 20, minWrite: 1, maxWrite: 64, minRead: 64, maxRead: 64 << 10}},
	// The consumer polls instead of waiting, so its reads and releases
	// land inside the producer's writes as often as possible.
	{"polling-consumer", stressConfig{limit: 1 << 20, minWrite: 1, maxWrite: 4 << 10, minRead: 1, maxRead: 64 << 10, pollingConsumer: true}},
	// Small window: the ring repeatedly fills and drains.
	{"small-window", stressConfig{limit: 64 << 10, minWrite: 1, maxWrite: 64 << 10, minRead: 1, maxRead: 100 << 10}},
	// Occasional Discard between reads.
	{"discard", stressConfig{limit: 4 << 20, minWrite: 1, maxWrite: 100 << 10, minRead: 1, maxRead: 100 << 10, discardEvery: 50}},
}

func TestStress(t *testing.T) {
	for i, c := range stressCases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.total = stressTotal() / 2
			switch c.name {
			case "balanced", "consumer-faster", "producer-faster":
				cfg.total = stressTotal()
			}
			runStress(t, cfg, i*100_003, uint64(i)+100)
		})
	}
}

// TestStressManyRings runs several producer/consumer pairs at once. They
// share the chunk pool, so a chunk released while still in use would be
// refilled by another ring's producer with another stream's bytes (and the
// race detector would see the conflicting accesses).
func TestStressManyRings(t *testing.T) {
	var wg sync.WaitGroup
	for i, c := range stressCases {
		cfg := c.cfg
		cfg.total = stressTotal() / 8
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(c.name, func(t *testing.T) {
				runStress(t, cfg, 7+i*200_009, uint64(i)+200)
			})
		}()
	}
	wg.Wait()
}
