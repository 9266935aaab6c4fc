package core

import (
	"context"
	"slices"
	"sync"

	"github.com/netmux/netmux/core/frame"
)

// streamTable is a session's streams and the rules for adding and removing
// them: ids, MaxStreams, AcceptBacklog (for the peer's unaccepted opens and
// for ours the peer has not acknowledged), the accept backlog itself, the
// GoAway state and the goroutines waiting for any of it to change. Its lock
// is held only inside its methods.
type streamTable struct {
	maxStreams, maxBacklog int
	maxUnacked             int // our opens the peer may leave unacknowledged

	mu           sync.Mutex
	streams      map[uint32]*Stream
	nextID       uint32        // next id this side opens
	unacked      int           // our opens the peer has not acknowledged
	goAwaySent   bool          // we sent GoAway: no new streams
	goAwayRecv   *GoAwayError  // the peer's GoAway, if any: no new streams
	acceptClosed bool          // the Listener view was closed: end once idle
	ended        error         // why the session ended; nil while it runs
	backlog      []*Stream     // peer-opened streams not yet accepted, oldest first
	accepted     chan struct{} // signalled when the backlog gains a stream (passed on)
	changed      chan struct{} // closed at the next change openers or drainers wait for; made by the first
}

// Why a peer's SYN is refused, as logged.
const (
	refusedGoAway  = "GoAway sent or received"
	refusedStreams = "MaxStreams reached"
	refusedBacklog = "AcceptBacklog full"
)

func (t *streamTable) init(role Role, c *Config) {
	t.maxStreams, t.maxBacklog = c.MaxStreams, c.AcceptBacklog
	t.maxUnacked = c.Dialect.maxUnacked(c)
	t.streams = make(map[uint32]*Stream)
	t.accepted = make(chan struct{}, 1)
	t.nextID = 1
	if role == RoleServer {
		t.nextID = 2
	}
}

// open adds a stream of ours, made by mk with a fresh id. It waits, until
// ctx is done, while maxUnacked opens are unacknowledged, and at maxStreams
// if waitForSlot (else it fails with ErrTooManyStreams). It fails after a
// GoAway and once the session has ended.
func (t *streamTable) open(ctx context.Context, waitForSlot bool, mk func(id uint32) *Stream) (*Stream, error) {
	t.mu.Lock()
	for {
		if err := t.openErrLocked(); err != nil {
			t.mu.Unlock()
			return nil, err
		}
		full := len(t.streams) >= t.maxStreams
		if full && !waitForSlot {
			t.mu.Unlock()
			return nil, ErrTooManyStreams
		}
		if !full && t.unacked < t.maxUnacked {
			break
		}
		changed := t.changeLocked()
		t.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		t.mu.Lock()
	}
	defer t.mu.Unlock()
	id := t.nextID
	if id == 0 || id > 1<<32-2 {
		return nil, ErrStreamIDsExhausted
	}
	t.nextID += 2
	st := mk(id)
	t.streams[id] = st
	t.unacked++
	return st, nil
}

func (t *streamTable) openErrLocked() error {
	switch {
	case t.ended != nil:
		return t.ended
	case t.goAwayRecv != nil:
		return t.goAwayRecv
	case t.goAwaySent:
		return &GoAwayError{Code: frame.CodeNormal}
	}
	return nil
}

// accept takes the oldest stream of the backlog, waiting for one until ctx
// is done. It fails once the session has ended or the Listener view was
// closed.
func (t *streamTable) accept(ctx context.Context) (*Stream, error) {
	for {
		t.mu.Lock()
		var err error
		switch {
		case t.ended != nil:
			err = t.ended
		case t.acceptClosed:
			err = ErrListenerClosed
		}
		if err != nil {
			t.mu.Unlock()
			notify(t.accepted) // for the next Accept
			return nil, err
		}
		if len(t.backlog) > 0 {
			st := t.backlog[0]
			st.inBacklog = false
			t.backlog[0] = nil
			t.backlog = t.backlog[1:]
			if len(t.backlog) > 0 {
				notify(t.accepted) // for the next Accept
			} else {
				t.backlog = nil // let the array go
			}
			t.mu.Unlock()
			return st, nil
		}
		t.mu.Unlock()
		select {
		case <-t.accepted:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// admit handles the peer's SYN on id: it returns the stream, queued for
// Accept, or nil and why it is refused; errBadSYN if the SYN is illegal
// (an id in use, or of our own parity).
func (t *streamTable) admit(id uint32, ours bool, mk func(id uint32) *Stream) (*Stream, string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case ours || t.streams[id] != nil:
		return nil, "", errBadSYN
	case t.goAwaySent || t.goAwayRecv != nil || t.ended != nil:
		return nil, refusedGoAway, nil
	case len(t.streams) >= t.maxStreams:
		return nil, refusedStreams, nil
	case len(t.backlog) >= t.maxBacklog:
		return nil, refusedBacklog, nil
	}
	st := mk(id)
	st.inBacklog = true
	t.streams[id] = st
	t.backlog = append(t.backlog, st)
	notify(t.accepted)
	return st, "", nil
}

// get returns the stream with id, or nil.
func (t *streamTable) get(id uint32) *Stream {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.streams[id]
}

// ack records that the peer acknowledged st, one of our opens.
func (t *streamTable) ack(st *Stream) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !st.acked && t.streams[st.id] == st {
		st.acked = true
		t.unacked--
		t.changedLocked()
	}
}

// remove drops st, which has finished both ways, and leaves the backlog if
// it was never accepted. It returns why the session ends now that nothing
// is open, or nil.
func (t *streamTable) remove(st *Stream) (idleEnd error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.streams[st.id] == st {
		delete(t.streams, st.id)
		if !st.acked && st.opener() {
			t.unacked--
		}
		if st.inBacklog {
			st.inBacklog = false
			t.backlog = slices.DeleteFunc(t.backlog, func(b *Stream) bool { return b == st })
		}
		t.changedLocked()
	}
	return t.idleEndLocked()
}

// idleEndLocked returns why the session ends with no stream open, or nil
// if it goes on: the peer's GoAway, or our closed Listener view.
func (t *streamTable) idleEndLocked() error {
	switch {
	case len(t.streams) > 0 || t.ended != nil:
		return nil
	case t.goAwayRecv != nil:
		return t.goAwayRecv
	case t.acceptClosed:
		return ErrSessionClosed
	}
	return nil
}

// sendGoAway records that we say GoAway and reports whether we had not yet.
func (t *streamTable) sendGoAway() (first bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	first = !t.goAwaySent
	t.goAwaySent = true
	t.changedLocked()
	return first
}

// peerGoAway records the peer's GoAway (the first one counts) and reports
// whether no stream is open.
func (t *streamTable) peerGoAway(err *GoAwayError) (idle bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.goAwayRecv == nil {
		t.goAwayRecv = err
	}
	t.changedLocked() // waiting openers now fail
	return len(t.streams) == 0
}

// endedErr returns why the session ended, or nil while it runs.
func (t *streamTable) endedErr() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ended
}

// goAwayReceived returns the peer's GoAway, or nil.
func (t *streamTable) goAwayReceived() *GoAwayError {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.goAwayRecv
}

// closeAccept closes the Listener view: it returns the streams left in the
// backlog, and whether our GoAway is still to be sent. Only the first call
// does anything.
func (t *streamTable) closeAccept() (unaccepted []*Stream, firstGoAway, closed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.acceptClosed {
		return nil, false, false
	}
	t.acceptClosed = true
	firstGoAway = !t.goAwaySent
	t.goAwaySent = true
	unaccepted, t.backlog = t.backlog, nil
	for _, st := range unaccepted {
		st.inBacklog = false
	}
	t.changedLocked()
	notify(t.accepted) // pending Accepts fail
	return unaccepted, firstGoAway, true
}

// idleEnd returns why the session ends now, if nothing is open; see
// idleEndLocked.
func (t *streamTable) idleEnd() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.idleEndLocked()
}

// count returns the number of open streams.
func (t *streamTable) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.streams)
}

// awaitEmpty waits until no stream is open, until ctx is done, or until
// the session ends (returning nil).
func (t *streamTable) awaitEmpty(ctx context.Context) error {
	for {
		t.mu.Lock()
		open, ended := len(t.streams), t.ended != nil
		changed := t.changeLocked()
		t.mu.Unlock()
		if open == 0 || ended {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// end cuts the table off when the session ends with err: every call fails
// from now on, every waiter wakes, and the streams that were open are
// returned with stCutOff and stRemoved set.
func (t *streamTable) end(err error) map[uint32]*Stream {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended = err
	streams := t.streams
	t.streams = map[uint32]*Stream{}
	t.backlog = nil
	for _, st := range streams {
		st.setState(stCutOff | stRemoved)
	}
	t.changedLocked()
	notify(t.accepted)
	return streams
}

// changeLocked returns a channel that is closed at the next change that a
// waiting opener or drainer may be waiting for.
func (t *streamTable) changeLocked() <-chan struct{} {
	if t.changed == nil {
		t.changed = make(chan struct{})
	}
	return t.changed
}

// changedLocked wakes every goroutine waiting on changeLocked's channel: a
// stream left, an open was acknowledged, a GoAway was said or heard, the
// session ended. Each re-checks its own condition, so no wake-up is lost.
func (t *streamTable) changedLocked() {
	if t.changed != nil {
		close(t.changed)
		t.changed = nil
	}
}
