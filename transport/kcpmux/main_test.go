package kcpmux

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	kcp "github.com/xtaci/kcp-go/v5"
	"go.uber.org/goleak"
)

// kcpGlobals ignores the goroutines of kcp-go's process-wide timer
// scheduler (kcp.SystemTimedSched: one sched goroutine per CPU and one
// prepend goroutine), started when the package is initialised and never
// stopped; every connection's timers run on it. Nothing per connection or
// per listener is ignored.
func kcpGlobals() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreTopFunction("github.com/xtaci/kcp-go/v5.(*TimedSched).sched"),
		goleak.IgnoreTopFunction("github.com/xtaci/kcp-go/v5.(*TimedSched).prepend"),
	}
}

// settleTimeout bounds how long the tests wait for closed sessions to
// finish lingering: a connection closes once its peer has acknowledged
// what it wrote, or after a few retransmission timeouts when the peer is
// gone, or after Linger (1 s in testConfig).
const settleTimeout = 5 * time.Second

// kcpOpen returns how many KCP connections exist in this process.
func kcpOpen() uint64 { return atomic.LoadUint64(&kcp.DefaultSnmp.CurrEstab) }

// awaitKCPClosed waits until every KCP connection of the process is
// closed, polling kcp-go's counter (nothing signals it), or settleTimeout.
func awaitKCPClosed() error {
	deadline := time.Now().Add(settleTimeout)
	for kcpOpen() != 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d KCP connections still open after %v", kcpOpen(), settleTimeout)
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

// verifyNoLeaks checks, once the closed connections have settled, that
// nothing but kcp-go's globals and what opts ignore still runs.
func verifyNoLeaks(t *testing.T, opts ...goleak.Option) {
	t.Helper()
	if err := awaitKCPClosed(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t, append(kcpGlobals(), opts...)...)
}

// settled runs the tests, then lets closed connections finish lingering
// before goleak looks.
type settled struct{ m *testing.M }

func (s settled) Run() int {
	code := s.m.Run()
	if err := awaitKCPClosed(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	return code
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(settled{m}, kcpGlobals()...)
}
