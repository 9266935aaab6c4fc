package core

import (
	"io"
	"os"
	"time"

	"github.com/netmux/netmux/core/frame"
)

// Read reads data the peer sent. It returns io.EOF after the peer's FIN and
// all data before it (also when the peer reset the stream after its FIN);
// ErrStreamReset after any other reset (buffered data is dropped); ErrStreamClosed after Close; the session's error if the session
// ended before the peer's FIN (never io.EOF: the data may be truncated); and
// os.ErrDeadlineExceeded past the read deadline. Reading returns credit to
// the peer.
func (st *Stream) Read(p []byte) (int, error) {
	st.readMu.Lock()
	n, err := st.read(p)
	st.readMu.Unlock()
	switch {
	case n > 0:
		st.io.read()
	case err != nil && err != os.ErrDeadlineExceeded && st.sess.lr != nil:
		st.sess.lr.left()
	}
	return n, err
}

func (st *Stream) read(p []byte) (n int, err error) {
	var k *wakeup
	for {
		if st.rw.exceeded() {
			err = os.ErrDeadlineExceeded
			break
		}
		// Load the state before reading the ring: data is published before
		// the FIN bit, so an empty ring after seeing FIN is the real end.
		state := st.state.Load()
		if state&stRecvReset != 0 {
			st.ring.Discard()
			err = ErrStreamReset
			break
		}
		if state&stReadClosed != 0 {
			err = ErrStreamClosed
			break
		}
		if n = st.ring.Read(p); n > 0 {
			st.consumed(n, state)
			break
		}
		if state&stFinRecv != 0 {
			err = io.EOF
			break
		}
		if state&stCutOff != 0 {
			err = st.sess.err
			break
		}
		if len(p) == 0 {
			break
		}
		if k == nil {
			k = st.rw.arm() // then re-check before blocking
			continue
		}
		// The ring is empty: the next payload may go straight into p.
		k.offer(p, &st.ring)
		st.sess.awaitInbound(k, st.io.shown())
		if n = k.withdraw(); n > 0 {
			// It arrived while we waited: ours, whatever happened since.
			st.consumed(n, st.state.Load())
			break
		}
	}
	st.rw.disarm(k)
	return n, err
}

// consumed returns credit for n bytes the application read when the
// receive window's rules say so (see flow.Receiver), and lets the window
// measure the round trip from the data.
func (st *Stream) consumed(n int, state uint32) {
	if state&(stFinRecv|stCutOff) != 0 || !st.flow.Add(n, st.ring.Buffered()) {
		return // no more data will come, or nothing to do yet
	}
	s := st.sess
	inc := st.flow.Grant(time.Now(), time.Duration(s.rtt.Load()))
	if inc == 0 {
		return
	}
	// Credit first, then the frame: the peer may use it as soon as it
	// arrives.
	st.credit.Grant(inc)
	s.queueCtrl(frame.Header{Type: frame.TypeWindowUpdate, StreamID: st.id, Length: inc})
}
