package core

import "os"

// Write queues p on the stream and returns once all of it is queued (not
// sent): it waits for send credit from the peer and for room in the
// session's send buffer. Each chunk is copied once into the stream's frame
// buffer; consecutive small writes coalesce into one frame. On a deadline,
// reset or close it returns the bytes queued so far; none of the rest is
// left queued.
//
// A Write that follows a Read on the stream (request/response) writes the
// session's pending frames itself when the driver allows it and nobody
// else is writing, as far as the transport takes them without blocking;
// consecutive Writes leave it to the driver, which coalesces them.
func (st *Stream) Write(p []byte) (int, error) {
	st.writeMu.Lock()
	defer st.writeMu.Unlock()
	s := st.sess
	q := &s.tx
	inline := st.io.write() && s.iw != nil && s.iw.takeWrite()
	var (
		n   int
		err error
		k   *wakeup
	)
	for {
		if st.ww.exceeded() {
			err = os.ErrDeadlineExceeded
			break
		}
		var c int
		if len(p)-n >= directSendMin && s.iw != nil && !inline {
			c = s.iw.writeDirect(st, p[n:])
		}
		if c == 0 {
			if c, err = q.write(st, p[n:]); err != nil {
				break
			}
		}
		n += c
		if n == len(p) {
			break
		}
		if c > 0 {
			continue
		}
		// No credit or no room: st is registered to be woken.
		if k == nil {
			k = st.ww.arm() // then re-check before blocking
			continue
		}
		if inline {
			s.iw.writeHeld() // what fitted goes now; the driver writes the rest
			inline = false
		}
		s.watch(1) // credit comes from the peer
		block(k, s.done)
		s.watch(-1)
	}
	if inline {
		s.iw.writeHeld()
	}
	if err != nil && k != nil {
		// It may still wait for room, or hold room promised to it; a Write
		// that completed took its room or passed it on.
		q.stopWaiting(st)
	}
	st.ww.disarm(k)
	return n, err
}

// SetPriority sets the order in which the stream's data is sent relative to
// the session's other streams (see Priority); it applies from the stream's
// next queued data. It is local: the peer is not told.
func (st *Stream) SetPriority(p Priority) { st.sess.tx.setPriority(st, p) }

// addSendCredit applies a WindowUpdate from the peer.
func (st *Stream) addSendCredit(inc uint32) {
	st.sess.tx.grant(st, inc)
	st.ww.notify()
}
