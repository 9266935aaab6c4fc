package bench

import (
	"testing"
	"time"
)

// Units of the CPU metrics: CPU seconds per GiB moved (bulk workloads) and
// CPU microseconds per round trip (request-response workloads).
const (
	unitCPUPerGiB = "cpu-s/GiB"
	unitCPUPerRT  = "cpu-µs/rt"
)

// cpuMeter measures the CPU time, user plus system, that the whole process
// uses from the meter's start: both ends of every session, the harness and the Go
// runtime, which is what a workload costs in one process. Where the platform
// cannot tell (processCPU reports false), nothing is reported.
type cpuMeter struct {
	start time.Duration
	ok    bool
}

// startCPU starts a meter; call it right after the benchmark timer starts.
func startCPU() cpuMeter {
	t, ok := processCPU()
	return cpuMeter{start: t, ok: ok}
}

// used returns the CPU time since the meter started.
func (m cpuMeter) used() (time.Duration, bool) {
	t, ok := processCPU()
	return t - m.start, ok && m.ok
}

// reportPerGiB reports the CPU time used so far per GiB of the bytes moved,
// as cpu-s/GiB; call it just before stopping the benchmark timer.
func (m cpuMeter) reportPerGiB(b bencher, bytes int64) {
	if d, ok := m.used(); ok && bytes > 0 {
		b.ReportMetric(d.Seconds()/(float64(bytes)/(1<<30)), unitCPUPerGiB)
	}
}

// reportPerRoundTrip reports the CPU time used so far per round trip, as
// cpu-µs/rt; call it just before stopping the benchmark timer.
func (m cpuMeter) reportPerRoundTrip(b bencher, roundTrips int64) {
	if d, ok := m.used(); ok && roundTrips > 0 {
		b.ReportMetric(float64(d)/float64(time.Microsecond)/float64(roundTrips), unitCPUPerRT)
	}
}

// TestCPUMetrics checks that the bulk and round-trip workloads report their
// CPU cost, for a multiplexer and for raw TCP, and that it is positive: a
// workload that moves bytes through the kernel cannot be free.
func TestCPUMetrics(t *testing.T) {
	_, supported := processCPU()
	sz := smokeSizes()
	for _, w := range []struct {
		name string
		run  func(j job)
		unit string
	}{
		{"Bulk1", bulk1, unitCPUPerGiB},
		{"BulkN1024", bulkN1024, unitCPUPerGiB},
		{"RR", rr, unitCPUPerRT},
		{"RRN64", rrN64, unitCPUPerRT},
	} {
		for _, im := range implementations() {
			if im.name != "netmux" && im.name != "tcp" {
				continue
			}
			t.Run(w.name+"/"+im.name, func(t *testing.T) {
				tb := &testBencher{T: t, metrics: map[string]float64{}}
				w.run(job{b: tb, im: im, n: 2, sz: sz})
				v, reported := tb.metrics[w.unit]
				switch {
				case reported != supported:
					t.Errorf("%s reported = %v, want %v (as process CPU time is available)", w.unit, reported, supported)
				case supported && !(v > 0):
					t.Errorf("%s = %v, want > 0", w.unit, v)
				}
			})
		}
	}
}

func TestCPUMeterArithmetic(t *testing.T) {
	tb := &testBencher{T: t, metrics: map[string]float64{}}
	// A meter that started 3 s of CPU time ago, by construction.
	now, ok := processCPU()
	m := cpuMeter{start: now - 3*time.Second, ok: ok}
	m.reportPerGiB(tb, 2<<30)
	m.reportPerRoundTrip(tb, 1_000_000)
	if !ok {
		if len(tb.metrics) != 0 {
			t.Errorf("metrics reported without process CPU time: %v", tb.metrics)
		}
		return
	}
	// The meter also counts the CPU this test uses meanwhile: well under 1 s.
	if v := tb.metrics[unitCPUPerGiB]; v < 1.5 || v > 2 {
		t.Errorf("3 s over 2 GiB: %s = %v, want 1.5 (plus this test's own CPU)", unitCPUPerGiB, v)
	}
	if v := tb.metrics[unitCPUPerRT]; v < 3 || v > 4 {
		t.Errorf("3 s over 1e6 round trips: %s = %v, want 3 (plus this test's own CPU)", unitCPUPerRT, v)
	}
}
