package bench

import (
	"sync/atomic"
	"testing"
	"time"

	kcp "github.com/xtaci/kcp-go/v5"
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
				if w.name == "Burst" && tb.metrics["lost"] != 0 {
					t.Logf("%s lost %v of %d streams per burst", im.name, tb.metrics["lost"], sz.burst)
				}
			})
		}
	}
}

// kcpSettleTimeout bounds the wait for closed KCP connections: kcpmux's
// Linger (5 s by default) and a margin.
const kcpSettleTimeout = 10 * time.Second

// awaitKCPClosed waits until the process has no KCP connection open. A
// closed netmux session over KCP lingers in the background until the peer
// has acknowledged its last frames, or a few retransmission timeouts once
// the peer is gone (longer on a busy machine), up to kcpmux's Linger;
// nothing signals its end, but kcp-go counts open connections.
func awaitKCPClosed(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(kcpSettleTimeout)
	for n := atomic.LoadUint64(&kcp.DefaultSnmp.CurrEstab); n != 0; n = atomic.LoadUint64(&kcp.DefaultSnmp.CurrEstab) {
		if time.Now().After(deadline) {
			t.Fatalf("%d KCP connections still open %v after the workload", n, kcpSettleTimeout)
		}
		time.Sleep(time.Millisecond)
	}
}
