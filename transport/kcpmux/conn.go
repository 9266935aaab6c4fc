package kcpmux

import (
	"errors"
	"io"
	"time"

	kcp "github.com/xtaci/kcp-go/v5"
)

// conn is a KCP connection as a session's driver sees it: the UDPSession
// itself (its vectored WriteBuffers included), with a Close that lingers.
type conn struct {
	*kcp.UDPSession
	linger time.Duration
}

// Close waits, up to the linger time, for the peer to acknowledge
// everything written, then closes the KCP connection. It may run while the
// driver's writer is still in a write.
func (c *conn) Close() error {
	if c.linger > 0 {
		awaitAcked(c.UDPSession, c.linger)
	}
	err := c.UDPSession.Close()
	if errors.Is(err, io.ErrClosedPipe) {
		return nil // the linger timed out and closed it
	}
	return err
}

// lingerRTOs is how many retransmission timeouts the last segments get to
// be acknowledged once all are in flight: time for a round trip, the
// peer's delayed ACK and two retransmissions.
const lingerRTOs = 4

// awaitAcked returns once every segment written to s has been
// acknowledged, or after closing s when the wait runs out: linger in all,
// and a few retransmission timeouts once everything is in flight. kcp-go
// exports no send-queue length, but its WriteBuffers waits while the
// unacknowledged segments fill the send window: writing nothing with the
// configured window returns once they fit in it, all of them sent; then
// writing nothing with a window of one returns once none is left
// (retransmission does not depend on the window). The wait is bounded by
// closing s, not by a write deadline, which kcp-go does not guard against
// a concurrent write.
func awaitAcked(s *kcp.UDPSession, linger time.Duration) {
	start := time.Now()
	giveUp := time.AfterFunc(linger, func() { s.Close() })
	defer giveUp.Stop()
	if _, err := s.WriteBuffers(nil); err != nil {
		return
	}
	tail := lingerRTOs * time.Duration(s.GetRTO()) * time.Millisecond
	if time.Since(start)+tail < linger {
		giveUp.Reset(tail)
	}
	s.SetWindowSize(1, 0)
	s.WriteBuffers(nil)
}
