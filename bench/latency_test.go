package bench

import (
	"slices"
	"testing"
	"time"
)

// maxSamples caps the latency samples one run keeps (8 MiB), so that very
// large b.N cannot exhaust memory; past it the latest samples are kept.
const maxSamples = 1 << 20

// latencies records round-trip times into a buffer allocated up front, so
// recording costs two clock reads and a store and allocates nothing.
// One goroutine owns each latencies.
type latencies struct {
	d []time.Duration
	n int
}

// newLatencies returns a recorder for up to max(capacity, 1) samples.
func newLatencies(capacity int) *latencies {
	return &latencies{d: make([]time.Duration, max(1, min(capacity, maxSamples)))}
}

// add records one sample, overwriting the oldest when full.
func (l *latencies) add(d time.Duration) {
	l.d[l.n%len(l.d)] = d
	l.n++
}

// samples returns the recorded samples.
func (l *latencies) samples() []time.Duration { return l.d[:min(l.n, len(l.d))] }

// percentiles returns the p50 and p99 of the samples of ls together, by the
// nearest-rank method; zero when there are none. It sorts a copy.
func percentiles(ls ...*latencies) (p50, p99 time.Duration) {
	var all []time.Duration
	for _, l := range ls {
		all = append(all, l.samples()...)
	}
	if len(all) == 0 {
		return 0, 0
	}
	slices.Sort(all)
	rank := func(q float64) time.Duration {
		i := int(q*float64(len(all))+0.999999) - 1
		return all[max(0, min(i, len(all)-1))]
	}
	return rank(0.50), rank(0.99)
}

// reportLatency reports the p50 and p99 of ls in microseconds.
func reportLatency(b bencher, ls ...*latencies) {
	p50, p99 := percentiles(ls...)
	b.ReportMetric(float64(p50)/float64(time.Microsecond), "p50-µs")
	b.ReportMetric(float64(p99)/float64(time.Microsecond), "p99-µs")
}

func TestPercentiles(t *testing.T) {
	a, b := newLatencies(100), newLatencies(100)
	for i := 1; i <= 100; i++ {
		l := a
		if i%2 == 0 {
			l = b
		}
		l.add(time.Duration(i))
	}
	if p50, p99 := percentiles(a, b); p50 != 50 || p99 != 99 {
		t.Errorf("percentiles(1..100) = %v, %v; want 50ns, 99ns", p50, p99)
	}
	if p50, p99 := percentiles(newLatencies(0)); p50 != 0 || p99 != 0 {
		t.Errorf("percentiles(empty) = %v, %v; want 0, 0", p50, p99)
	}

	// A full recorder keeps the latest samples.
	l := newLatencies(2)
	for i := 1; i <= 5; i++ {
		l.add(time.Duration(i))
	}
	if got := l.samples(); !slices.Equal(got, []time.Duration{5, 4}) && !slices.Equal(got, []time.Duration{4, 5}) {
		t.Errorf("samples after overflow = %v, want 4 and 5", got)
	}
}
