package tunnel_test

import (
	"testing"

	"go.uber.org/goleak"
)

// gnet (behind the gnet transport) starts its worker pool's goroutines when
// the package loads; they are there before any test and are no leak.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }
