package core

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/netmux/netmux/core/frame"
)

// How a session ends, all in this file. Every path goes through finish,
// once: it records why, cuts the streams off, queues the last frames and
// wakes every waiter through done; closeDriver closes the transport once
// those frames are written (or WriteTimeout passed).
//
//   - immediately: Close (RSTs, GoAway(Normal)), fail and abort (a
//     violation: GoAway with its code), transportClosed (the transport
//     ended), a peer's GoAway with an error code; queued data is dropped;
//   - gracefully: Shutdown and the Listener view's Close (GoAway(Normal),
//     then the session ends once no stream is open), a peer's
//     GoAway(Normal) likewise; the last streams' data is flushed.

// Done returns a channel closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// CloseChan is Done, under the name smux users know.
func (s *Session) CloseChan() <-chan struct{} { return s.done }

// IsClosed reports whether the session has ended.
func (s *Session) IsClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Err returns why the session ended, or nil while it runs: ErrSessionClosed
// after Close, a *GoAwayError after a GoAway either way, or a transport
// error; all match errors.Is(err, net.ErrClosed).
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Close ends the session now: it sends GoAway(Normal), fails every pending
// and future call on the session and its streams, and closes the transport
// once the GoAway is written (or after WriteTimeout). It is idempotent and
// returns nil.
func (s *Session) Close() error {
	s.resetOnEnd.Store(true)
	if s.tbl.sendGoAway() {
		code := frame.CodeNormal
		s.end(ErrSessionClosed, &code)
	} else {
		s.end(ErrSessionClosed, nil) // the GoAway is queued already
	}
	return nil
}

// Shutdown ends the session gracefully: it sends GoAway(Normal), refuses new
// streams both ways, waits until every open stream has finished or ctx is
// done, then closes, and returns once the last frames are written and the
// transport closed (or WriteTimeout or ctx ended that wait). It returns
// ctx.Err() if ctx ended the wait for the streams (the streams still open
// are then reset, as by Close), else nil. It is idempotent and may race
// with Close.
func (s *Session) Shutdown(ctx context.Context) error {
	if s.tbl.sendGoAway() {
		s.tx.goAway()
	}
	err := s.tbl.awaitEmpty(ctx)
	if err != nil {
		// The streams still open are cut off, as by Close: the peer's fail
		// at once, and its session, which has our GoAway, ends once idle,
		// even over a transport that cannot signal its end (KCP).
		s.resetOnEnd.Store(true)
	}
	// Drained: the streams' last data and FINs may still be queued; they
	// go out before the transport closes. If the session ended meanwhile
	// (Close, the peer's GoAway), finish does nothing.
	s.finish(ErrSessionClosed, nil, err == nil)
	if err == nil {
		// Returning earlier, even when the session ended meanwhile, would
		// let the caller close what carries the transport (a process, a
		// shared UDP socket) under the last frames.
		s.mu.Lock()
		if s.driverOut == nil && !s.driverGone {
			s.driverOut = make(chan struct{})
		}
		out, gone := s.driverOut, s.driverGone
		s.mu.Unlock()
		if !gone {
			select {
			case <-out:
			case <-ctx.Done():
			}
		}
	}
	return err
}

// stopAccepting closes the Listener view: GoAway, the unaccepted streams
// reset, and the session ends once no stream is open; see Listener.
func (s *Session) stopAccepting() {
	unaccepted, firstGoAway, closed := s.tbl.closeAccept()
	if !closed {
		return
	}
	if firstGoAway {
		s.tx.goAway()
	}
	for _, st := range unaccepted {
		st.reset(true)
	}
	if why := s.tbl.idleEnd(); why != nil {
		s.finish(why, nil, true)
	}
}

// remoteGoAway handles the peer's GoAway: no new streams either way. A
// Normal GoAway lets open streams finish (the peer closes the transport
// when it is done); any other code ends the session now.
func (s *Session) remoteGoAway(code frame.ErrorCode) {
	err := &GoAwayError{Code: code, Remote: true}
	idle := s.tbl.peerGoAway(err)
	switch {
	case code != frame.CodeNormal:
		s.end(err, nil)
	case idle:
		s.finish(err, nil, true) // streams that just finished may have data queued
	}
}

// removeStream drops st from the table once both directions are done; if
// goodbye was said and nothing is left open, the session finishes, after
// the last streams' queued data and FINs. The stream lets go of its window
// budget and timers first, so that once NumStreams no longer counts it,
// nothing of it is held.
func (s *Session) removeStream(st *Stream) {
	st.ended()
	why := s.tbl.remove(st)
	if why != nil {
		s.finish(why, nil, true)
	}
}

// end finishes the session once, dropping the data still queued on
// streams; see finish.
func (s *Session) end(err error, code *frame.ErrorCode) { s.finish(err, code, false) }

// finish finishes the session once: records err, optionally queues a GoAway
// with code, wakes every waiter and arranges for the driver to be closed
// after the last frames are written. Streams' queued data is written too if
// flush, else dropped.
func (s *Session) finish(err error, code *frame.ErrorCode, flush bool) {
	s.endOnce.Do(func() {
		// Armed before done is closed: the writer may call closeDriver as
		// soon as IsClosed reports true.
		s.closeT.Store(time.AfterFunc(s.cfg.WriteTimeout, s.closeDriver))
		s.err = err
		streams := s.tbl.end(err)
		// The final frames are queued once the streams are cut off (a
		// reset arriving now changes nothing) and before done is closed
		// (the writer may close the driver as soon as it sees nothing
		// queued).
		var resets []uint32
		if s.resetOnEnd.Load() {
			// The peer's streams fail at once even where the transport
			// cannot signal its end (KCP); an RST for a stream the peer
			// never heard of is ignored.
			for id := range streams {
				resets = append(resets, id)
			}
		}
		s.tx.end(resets, code, flush)
		s.mu.Lock()
		close(s.done)
		for _, p := range s.pings {
			if p.reply != nil {
				close(p.reply)
			}
		}
		s.pings = nil
		s.mu.Unlock()
		if s.keepalive != nil {
			s.keepalive.Stop()
		}
		for _, st := range streams {
			st.sessionEnded()
		}
		s.log.Debug("netmux session ended", "err", err)
		// If nothing is queued or in flight the driver can go now.
		if s.tx.idle() {
			s.closeDriver()
		}
	})
}

// closeDriver closes the transport once.
func (s *Session) closeDriver() {
	s.closeOnce.Do(func() {
		if t := s.closeT.Load(); t != nil { // nil: called before finish armed it
			t.Stop()
		}
		s.drv.Close()
		s.mu.Lock()
		s.driverGone = true
		if s.driverOut != nil {
			close(s.driverOut)
		}
		s.mu.Unlock()
	})
}

// transportClosed ends the session because the transport failed or ended.
func (s *Session) transportClosed(err error) {
	if err == nil {
		err = io.EOF
	}
	ga := s.tbl.goAwayReceived()
	if ga == nil && s.cfg.Dialect.eofIsGoAway() && errors.Is(err, io.EOF) {
		ga = &GoAwayError{Code: frame.CodeNormal, Remote: true}
	}
	if ga != nil && errors.Is(err, io.EOF) {
		// The peer said goodbye, then closed cleanly: its GoAway is why
		// the session ended. A reset is reported as such.
		s.end(ga, nil)
	} else {
		s.end(&transportError{cause: err, silent: s.lastRecv.Load() == 0}, nil)
	}
	s.closeDriver()
}

// writeFailed handles a failed write. The transport is broken or the peer
// closed it, but the reader may not have processed all the peer sent
// before that (its last data and FIN, its GoAway): the reader ends the
// session when it reaches the transport's end, and WriteTimeout bounds the
// wait for a reader that never does.
func (s *Session) writeFailed(err error) {
	time.AfterFunc(s.cfg.WriteTimeout, func() { s.transportClosed(err) })
}

// fail ends the session after a violation by the peer, sending GoAway with
// the violation's code.
func (s *Session) fail(code frame.ErrorCode, cause error) error {
	s.log.Warn("netmux protocol violation", "code", code.String(), "err", cause)
	return s.abort(code, cause)
}

// abort ends the session now with GoAway(code); cause is the local reason.
func (s *Session) abort(code frame.ErrorCode, cause error) error {
	s.end(&GoAwayError{Code: code, Cause: cause}, &code)
	return s.err
}
