package bench

import (
	"sync/atomic"
	"time"
)

// openMsgSize is the message each short-lived stream sends.
const openMsgSize = 64

// burstTimeout bounds one Burst stream, open excepted: a stream whose echo
// has not come back by then is counted lost.
const burstTimeout = 10 * time.Second

// openClose measures the cost of a short-lived stream: one op opens a
// stream, writes 64 B, reads the echo and closes it. For raw TCP that is a
// connection setup and teardown.
func openClose(j job) {
	r := newRig(j)
	defer r.finish()
	c, s := r.pair(options{})
	r.serve(s, echo)
	msg, reply := patternAt(0, openMsgSize), make([]byte, openMsgSize)

	j.b.ResetTimer()
	for i := range j.n {
		st := r.open(c)
		if err := exchange(st, msg, reply); err != nil {
			r.fatalf("%s: stream %d: %v", r.im.name, i, err)
		}
		if err := st.Close(); err != nil {
			r.fatalf("%s: stream %d: close: %v", r.im.name, i, err)
		}
	}
	j.b.StopTimer()
}

// burst measures a flood of new streams at default settings: one op opens
// j.sz.burst (1024) streams at once, each writing 64 B and reading the echo.
// Streams that fail to open, are reset, or time out are reported as "lost"
// (per op) rather than failing the benchmark: losing streams under a burst
// is behaviour to compare, not a harness error.
func burst(j job) {
	r := newRig(j)
	defer r.finish()
	c, s := r.pair(options{}) // defaults on purpose: see README.md
	r.serve(s, echoQuiet)
	msg := patternAt(0, openMsgSize)
	var lost atomic.Int64

	j.b.ResetTimer()
	for range j.n {
		deadline := time.Now().Add(burstTimeout)
		r.runAll("burst", j.sz.burst, func(int) error {
			if !burstStream(c, msg, deadline) {
				lost.Add(1)
			}
			return nil
		})
	}
	j.b.StopTimer()
	j.b.ReportMetric(float64(lost.Load())/float64(j.n), "lost")
}

// burstStream opens one stream on c and exchanges msg before deadline,
// reporting whether the echo came back intact.
func burstStream(c session, msg []byte, deadline time.Time) bool {
	st, err := c.Open()
	if err != nil {
		return false
	}
	defer st.Close()
	if err := st.SetDeadline(deadline); err != nil {
		return false
	}
	bp := echoBufs.Get().(*[]byte)
	defer echoBufs.Put(bp)
	return exchange(st, msg, (*bp)[:len(msg)]) == nil
}
