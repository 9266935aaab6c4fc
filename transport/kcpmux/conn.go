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
	window int // the send window the connection was tuned with
}

// conn wraps c, tuned with st, for a session's driver.
func (st *settings) conn(c *kcp.UDPSession) *conn {
	return &conn{c, st.Linger, st.SendWindow}
}

// Close waits, up to the linger time, for the peer to acknowledge
// everything written, then closes the KCP connection. It may run while the
// driver's writer is still in a write.
func (c *conn) Close() error {
	if c.linger > 0 {
		awaitAcked(c.UDPSession, c.window, c.linger)
	}
	err := c.UDPSession.Close()
	if errors.Is(err, io.ErrClosedPipe) {
		return nil // the linger timed out and closed it
	}
	return err
}

// lingerRTOs is how many retransmission timeouts the peer gets to
// acknowledge one more segment: time for a round trip, the peer's delayed
// ACK and two retransmissions.
const lingerRTOs = 4

// awaitAcked returns once every segment written to s has been
// acknowledged, or after closing s when the wait runs out: after linger in
// all, or once the peer has acknowledged nothing for lingerRTOs
// retransmission timeouts (as they stand then). A peer that still
// acknowledges, however slowly, gets the whole linger; one that is gone
// ends the wait quickly. A slow peer's acknowledgements of retransmitted
// copies acknowledge nothing new, but they lengthen the retransmission
// timeout, and so the wait.
//
// kcp-go exports neither the number of unacknowledged segments nor when
// the peer last sent, but its WriteBuffers waits while the unacknowledged
// segments fill the send window: writing nothing with window w returns once
// fewer than w are left (retransmission does not depend on the window).
// With the configured window that is once all of them are sent; then the
// window steps down by one to 1, so that each wait that returns is the
// peer acknowledging one more segment (waits for windows above what is
// left return at once). A goroutine does the waiting; the wait is bounded
// by closing s, not by a write deadline, which kcp-go does not guard
// against a concurrent write.
func awaitAcked(s *kcp.UDPSession, window int, linger time.Duration) {
	acked := make(chan struct{}, 1) // a wait returned
	done := make(chan struct{})
	go func() {
		defer close(done)
		for w := window; w > 0; w-- {
			s.SetWindowSize(w, 0)
			if _, err := s.WriteBuffers(nil); err != nil {
				return
			}
			select {
			case acked <- struct{}{}:
			default:
			}
		}
	}()
	deadline := time.Now().Add(linger)
	last := time.Now() // when the peer last acknowledged anything, or the wait began
	quiet := func() time.Duration { return lingerRTOs * time.Duration(s.GetRTO()) * time.Millisecond }
	timer := time.NewTimer(min(quiet(), linger))
	defer timer.Stop()
	for {
		select {
		case <-done:
			return
		case <-acked:
			last = time.Now()
		case <-timer.C:
			// The timeout may have grown since: look again.
		}
		wait := min(time.Until(last.Add(quiet())), time.Until(deadline))
		if wait <= 0 {
			s.Close()
			<-done
			return
		}
		timer.Reset(wait)
	}
}
