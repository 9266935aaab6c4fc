package evloop_test

import (
	"testing"

	"go.uber.org/goleak"
)

// gnet starts its worker pool's goroutines when the package loads; they
// exist before any test runs and are no leak of ours.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent())
}
