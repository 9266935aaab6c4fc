package bench

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	kcp "github.com/xtaci/kcp-go/v5"
	"go.uber.org/goleak"
)

// TestMain checks that nothing the tests or benchmarks start outlives them.
// Goroutines already running when it starts (kcp-go's process-wide timer
// scheduler, started when that package is initialised) are not counted.
// KCP connections closed last may still be lingering (see awaitKCPClosed):
// they are awaited first.
func TestMain(m *testing.M) {
	ignore := goleak.IgnoreCurrent()
	code := m.Run()
	if code == 0 {
		if n := kcpOpenAfter(kcpSettleTimeout); n != 0 {
			fmt.Fprintf(os.Stderr, "%d KCP connections still open %v after the last test\n", n, kcpSettleTimeout)
			code = 1
		} else if err := goleak.Find(ignore); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// kcpSettleTimeout bounds the wait for closed KCP connections: kcpmux's
// Linger (5 s by default) and a margin.
const kcpSettleTimeout = 10 * time.Second

// kcpOpenAfter waits until the process has no KCP connection open, or
// timeout has passed, and returns how many are open. A closed netmux
// session over KCP lingers in the background until the peer has
// acknowledged its last frames, or a few retransmission timeouts once the
// peer is gone (longer on a busy machine), up to kcpmux's Linger; nothing
// signals its end, but kcp-go counts open connections.
func kcpOpenAfter(timeout time.Duration) uint64 {
	deadline := time.Now().Add(timeout)
	for {
		n := atomic.LoadUint64(&kcp.DefaultSnmp.CurrEstab)
		if n == 0 || time.Now().After(deadline) {
			return n
		}
		time.Sleep(time.Millisecond)
	}
}
