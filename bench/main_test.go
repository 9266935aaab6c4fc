package bench

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that nothing the tests or benchmarks start outlives them.
// Goroutines already running when it starts (kcp-go's process-wide timer
// scheduler, started when that package is initialised) are not counted.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }
