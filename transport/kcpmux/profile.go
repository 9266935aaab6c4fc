package kcpmux

import (
	"fmt"
	"time"
)

// Profile is KCP's retransmission behaviour: the four arguments of
// kcp-go's SetNoDelay. The named profiles are kcptun's modes; from normal to
// fast3 they trade bandwidth (more retransmissions, more timer wake-ups) for
// latency on lossy links.
type Profile struct {
	// NoDelay lowers the minimum retransmission timeout from 100 ms to 30 ms
	// and grows it 1.5x rather than 2x per timeout, so a lost packet is
	// resent within a round trip or two instead of after hundreds of ms.
	NoDelay bool
	// Interval is the period of KCP's internal clock, which flushes delayed
	// ACKs and checks retransmission timers (10 ms to 5 s). Shorter means
	// quicker recovery and more wake-ups per session.
	Interval time.Duration
	// Resend is fast retransmit: a segment is resent as soon as this many
	// later segments were acknowledged, without waiting for its timeout
	// (0 disables). 2 resends after the second gap, as TCP's triple dup ACK.
	Resend int
	// NoCongestion turns KCP's congestion window off, so sending is bounded
	// only by the send and receive windows: a tunnel keeps its throughput
	// through random loss instead of halving it, at the price of fairness to
	// other traffic on the path.
	NoCongestion bool
}

// ProfileNormal is kcptun's "normal": delayed ACKs on a 40 ms clock, the
// standard 100 ms minimum timeout, fast retransmit, no congestion window.
func ProfileNormal() Profile { return Profile{false, 40 * time.Millisecond, 2, true} }

// ProfileFast is kcptun's "fast" (its default): as normal on a 30 ms clock.
func ProfileFast() Profile { return Profile{false, 30 * time.Millisecond, 2, true} }

// ProfileFast2 is kcptun's "fast2": no-delay timeouts on a 20 ms clock.
func ProfileFast2() Profile { return Profile{true, 20 * time.Millisecond, 2, true} }

// ProfileFast3 is kcptun's "fast3": no-delay timeouts on a 10 ms clock, the
// lowest latency and the most wake-ups.
func ProfileFast3() Profile { return Profile{true, 10 * time.Millisecond, 2, true} }

// ProfileByName returns the profile called "normal", "fast", "fast2" or
// "fast3", for configuration files and flags.
func ProfileByName(name string) (Profile, error) {
	switch name {
	case "normal":
		return ProfileNormal(), nil
	case "fast":
		return ProfileFast(), nil
	case "fast2":
		return ProfileFast2(), nil
	case "fast3":
		return ProfileFast3(), nil
	}
	return Profile{}, fmt.Errorf("%w: unknown profile %q (want normal, fast, fast2 or fast3)", ErrInvalidConfig, name)
}

// args returns the profile as kcp-go's SetNoDelay arguments.
func (p Profile) args() (nodelay, interval, resend, nc int) {
	if p.NoDelay {
		nodelay = 1
	}
	if p.NoCongestion {
		nc = 1
	}
	return nodelay, int(p.Interval / time.Millisecond), p.Resend, nc
}

// validate reports a profile kcp-go would silently clamp or misread.
func (p Profile) validate() error {
	switch {
	case p.Interval < 10*time.Millisecond || p.Interval > 5*time.Second:
		return fmt.Errorf("%w: Profile.Interval %v outside 10ms..5s", ErrInvalidConfig, p.Interval)
	case p.Resend < 0:
		return fmt.Errorf("%w: Profile.Resend %d < 0", ErrInvalidConfig, p.Resend)
	}
	return nil
}
