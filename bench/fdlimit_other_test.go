//go:build !unix

package bench

import "math"

// fdLimit reports no limit where the process has none to query.
func fdLimit() int { return math.MaxInt32 }
