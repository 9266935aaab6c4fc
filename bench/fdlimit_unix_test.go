//go:build unix

package bench

import (
	"math"
	"syscall"
)

// fdLimit returns the process's soft limit on open file descriptors.
func fdLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(rl.Cur)
}
