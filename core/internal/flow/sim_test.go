package flow

import (
	"testing"
	"time"
)

// A simulated transfer on one stream: a sender that always has data, a link
// that delays each direction by oneWay and carries linkRate bytes a second,
// and a reader that consumes readRate bytes a second in reads of at most
// 64 KiB, granting credit through a Receiver. Time advances in fixed ticks;
// no sockets, no clocks.
type sim struct {
	oneWay   time.Duration
	linkRate int64         // bytes per second, each direction
	readRate int64         // bytes per second the reader consumes
	pingRTT  time.Duration // the session's ping estimate once known; 0: no pings
	pingAt   time.Duration // when the ping estimate becomes known
	jitter   func(i int) time.Duration
	total    int64 // bytes to move
	ceiling  uint32
	budget   int64
}

// simResult is what a run observed.
type simResult struct {
	done       time.Duration // when the reader consumed the last byte
	maxAt      time.Duration // when the window first reached the ceiling; -1 never
	window     uint32        // the final window
	maxUnread  int           // the most bytes ever buffered at the receiver
	grants     int
	steadyRate float64 // bytes a second over the second half of the transfer
}

const simTick = 20 * time.Microsecond

type simChunk struct {
	at time.Duration
	n  int64
}

func (s sim) run(t *testing.T) simResult {
	t.Helper()
	b := NewBudget(s.budget)
	var r Receiver
	r.Init(initial, s.ceiling, b)
	credit := int64(initial) // the sender's view
	var sent, received, consumed int64
	var toRecv, toSend []simChunk // in flight, in order (constant delay)
	res := simResult{maxAt: -1}
	var halfAt time.Duration
	linkPerTick := s.linkRate * int64(simTick) / int64(time.Second)
	readPerTick := s.readRate * int64(simTick) / int64(time.Second)
	var readCarry int64
	for i := 0; consumed < s.total; i++ {
		el := time.Duration(i) * simTick
		if el > time.Minute {
			t.Fatalf("transfer not done after a minute of simulated time: %d of %d bytes, window %d", consumed, s.total, r.Window)
		}
		now := t0.Add(el)
		for len(toSend) > 0 && toSend[0].at <= el {
			credit += toSend[0].n
			toSend = toSend[1:]
		}
		if n := min(linkPerTick, credit, s.total-sent); n > 0 {
			at := el + s.oneWay
			if s.jitter != nil {
				at += s.jitter(i)
			}
			if k := len(toRecv); k > 0 && toRecv[k-1].at > at {
				at = toRecv[k-1].at // a link keeps order
			}
			toRecv = append(toRecv, simChunk{at, n})
			sent += n
			credit -= n
		}
		for len(toRecv) > 0 && toRecv[0].at <= el {
			received += toRecv[0].n
			toRecv = toRecv[1:]
		}
		if limit := consumed - int64(r.unacked) + int64(r.Window); received > limit {
			t.Fatalf("at %v the sender overran the window: %d received, limit %d", el, received, limit)
		}
		if u := int(received - consumed); u > res.maxUnread {
			res.maxUnread = u
		}
		readCarry += readPerTick
		for readCarry > 0 && received > consumed {
			n := min(readCarry, received-consumed, 64<<10)
			readCarry -= n
			consumed += n
			rtt := time.Duration(0)
			if s.pingRTT > 0 && el >= s.pingAt {
				rtt = s.pingRTT
			}
			if r.Add(int(n), int(received-consumed)) {
				if inc := r.Grant(now, rtt); inc > 0 {
					res.grants++
					toSend = append(toSend, simChunk{el + s.oneWay, int64(inc)})
				}
			}
			if res.maxAt < 0 && r.Window == s.ceiling {
				res.maxAt = el
			}
			if halfAt == 0 && consumed >= s.total/2 {
				halfAt = el
			}
		}
		if received == consumed {
			readCarry = min(readCarry, readPerTick) // an idle reader saves no time
		}
		res.done = el
	}
	res.window = r.Window
	res.steadyRate = float64(s.total-s.total/2) / (res.done - halfAt).Seconds()
	r.Release()
	if b.Available() != s.budget {
		t.Fatalf("budget after release %d, want %d", b.Available(), s.budget)
	}
	return res
}

// Over a long fat link the window must reach its ceiling within a few
// round trips of the transfer starting, whether or not pings have measured
// the RTT yet, and then the stream must run near what the ceiling allows.
func TestSimHighRTT(t *testing.T) {
	const rtt = 50 * time.Millisecond
	base := sim{
		oneWay:   rtt / 2,
		linkRate: 2 << 30,
		readRate: 4 << 30,
		total:    128 << 20,
		ceiling:  16 << 20,
		budget:   64 << 20,
	}
	for _, tc := range []struct {
		name     string
		pingAt   time.Duration // -1: keepalive off, no RTT from pings
		jitter   time.Duration // up to this much extra delay per tick's bytes
		readRate int64         // 0: base.readRate
		within   int           // round trips until the window reaches the ceiling
	}{
		{"ping known", 0, 0, 0, 2},
		{"ping after one RTT", rtt, 0, 0, 2},
		{"no pings", -1, 0, 0, 2},
		// The reader is slower than the link (though more than twice as
		// fast as the ceiling allows): each round trip's burst piles up
		// while it arrives, and the reader catches up only at its end.
		{"no pings, reader slower than the link", -1, 0, 800e6, 2},
		{"ping after one RTT, reader slower than the link", rtt, 0, 800e6, 2},
		// Bytes of one window arrive spread out and in uneven clumps, so
		// the reader catches up in the middle of a window. The first burst,
		// spread over the jitter, looks slow for the 1 ms assumed before
		// any RTT is known, so growth starts a round trip later.
		{"no pings, jittery link", -1, 5 * time.Millisecond, 0, 3},
		{"ping after one RTT, jittery link", rtt, 5 * time.Millisecond, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			if tc.pingAt >= 0 {
				s.pingRTT, s.pingAt = rtt, tc.pingAt
			}
			if tc.jitter > 0 {
				s.jitter = func(i int) time.Duration {
					return time.Duration(uint64(i)*0x9E3779B97F4A7C15>>40) % tc.jitter
				}
			}
			if tc.readRate > 0 {
				s.readRate = tc.readRate
			}
			res := s.run(t)
			// Bytes held back by jitter make the round trip that long.
			ceilingRate := float64(s.ceiling) / (rtt + tc.jitter).Seconds()
			t.Logf("ceiling at %v, done %v, steady %.0f MB/s (the ceiling allows %.0f), %d grants",
				res.maxAt, res.done, res.steadyRate/1e6, ceilingRate/1e6, res.grants)
			// The first bytes arrive half a round trip after the start.
			if limit := rtt/2 + time.Duration(tc.within)*rtt; res.maxAt < 0 || res.maxAt > limit {
				t.Errorf("window reached the ceiling at %v, want within %d round trips of the first bytes (%v)", res.maxAt, tc.within, limit)
			}
			if res.steadyRate < 0.8*ceilingRate {
				t.Errorf("steady rate %.0f MB/s, want >= 80%% of the %.0f MB/s the ceiling allows", res.steadyRate/1e6, ceilingRate/1e6)
			}
		})
	}
}

// The window grows only as far as the path needs: where the reader or the
// link is the bottleneck, it stays small and data never piles up beyond it.
func TestSimBottlenecks(t *testing.T) {
	const rtt = 50 * time.Millisecond
	for _, tc := range []struct {
		name          string
		link, reader  int64
		pings         bool
		maxWindow     uint32 // the window must end at or below this
		maxBufferedKB int    // nor may the receiver ever buffer more
	}{
		// 1 MB/s: a fifth of the 5 MB/s the initial window allows.
		{"slow reader", 2 << 30, 1 << 20, true, initial, initial >> 10},
		{"slow reader, no pings", 2 << 30, 1 << 20, false, initial, initial >> 10},
		// 20 MB/s over 50 ms: 1 MB in flight. The window grows past it,
		// not to the 16 MiB ceiling, and the fast reader buffers little.
		{"slow link", 20 << 20, 4 << 30, true, 8 << 20, 128},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sim{oneWay: rtt / 2, linkRate: tc.link, readRate: tc.reader, total: 32 << 20, ceiling: 16 << 20, budget: 64 << 20}
			if tc.pings {
				s.pingRTT = rtt
			}
			res := s.run(t)
			t.Logf("window %d, at most %d KiB buffered, done %v", res.window, res.maxUnread>>10, res.done)
			if res.window > tc.maxWindow {
				t.Errorf("window grew to %d, want at most %d", res.window, tc.maxWindow)
			}
			if res.maxUnread>>10 > tc.maxBufferedKB {
				t.Errorf("%d KiB buffered at the receiver, want at most %d KiB", res.maxUnread>>10, tc.maxBufferedKB)
			}
		})
	}
}
