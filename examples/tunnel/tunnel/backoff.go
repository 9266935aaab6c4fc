package tunnel

import (
	"math/rand/v2"
	"time"
)

// backoff yields growing, jittered delays between reconnection attempts:
// the ceiling doubles from min up to max, and each delay is drawn from the
// upper half of it so that many clients do not reconnect in step.
type backoff struct {
	min, max time.Duration
	ceil     time.Duration // 0 until the first next
}

// next returns the delay before the next attempt.
func (b *backoff) next() time.Duration {
	if b.ceil == 0 {
		b.ceil = b.min
	} else {
		b.ceil = min(2*b.ceil, b.max)
	}
	half := b.ceil / 2
	return half + rand.N(b.ceil-half+1)
}

// reset starts over from min, after a connection that worked.
func (b *backoff) reset() { b.ceil = 0 }
