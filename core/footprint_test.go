package core

import (
	"testing"
	"unsafe"
)

// Idle streams and sessions cost what the README's IdleStreams and
// IdleSessions figures say only while these structs stay within their
// allocation size classes: one more field across a boundary costs every
// stream or session the whole next class (a 328-byte Stream is allocated
// 352 bytes, 64 more per stream pair). Grow them knowingly, and re-measure.
func TestIdleFootprint(t *testing.T) {
	for _, c := range []struct {
		name      string
		size, max uintptr
	}{
		{"Stream", unsafe.Sizeof(Stream{}), 320},
		{"Session", unsafe.Sizeof(Session{}), 896},
		{"goroutineDriver", unsafe.Sizeof(goroutineDriver{}), 288},
	} {
		if c.size > c.max {
			t.Errorf("%s is %d bytes, past its %d-byte size class", c.name, c.size, c.max)
		}
	}
}
