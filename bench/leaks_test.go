package bench

import (
	"testing"

	"go.uber.org/goleak"
)

// testBencher runs a workload inside a test: the timer methods do nothing
// and reported metrics are kept in metrics.
type testBencher struct {
	*testing.T
	metrics map[string]float64
}

func (*testBencher) ResetTimer()    {}
func (*testBencher) StartTimer()    {}
func (*testBencher) StopTimer()     {}
func (*testBencher) SetBytes(int64) {}

func (tb *testBencher) ReportMetric(v float64, unit string) { tb.metrics[unit] = v }

// TestLeaks runs every workload at smoke size, two ops, against every
// implementation and checks that nothing it started outlives it.
func TestLeaks(t *testing.T) {
	sz := smokeSizes()
	for _, w := range workloads() {
		for _, im := range implementationsOf(w.only) {
			t.Run(w.name+"/"+im.name, func(t *testing.T) {
				ignore := goleak.IgnoreCurrent()
				tb := &testBencher{T: t, metrics: map[string]float64{}}
				w.run(job{b: tb, im: im, n: 2, sz: sz})
				awaitKCPClosed(t)
				goleak.VerifyNone(t, ignore)
				if w.name == "HighRTT32M" && !(tb.metrics[unitSteady] > 0) {
					t.Errorf("%s reported no %s", im.name, unitSteady)
				}
				if w.name == "Burst" && tb.metrics["lost"] != 0 {
					t.Logf("%s lost %v of %d streams per burst", im.name, tb.metrics["lost"], sz.burst)
				}
			})
		}
	}
}

// awaitKCPClosed waits until the process has no KCP connection open.
func awaitKCPClosed(t *testing.T) {
	t.Helper()
	if n := kcpOpenAfter(kcpSettleTimeout); n != 0 {
		t.Fatalf("%d KCP connections still open %v after the workload", n, kcpSettleTimeout)
	}
}
