package evloop

import (
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/netmux/netmux/core"
)

// loopHandler is the gnet event handler shared by every connection of one Listener
// or Client: it turns each connection into a session, routes gnet's events
// to the connection's driver, and keeps the set of live connections so that
// closing the Listener or Client closes every session.
//
// Ownership: set, role, writers, waiter and accepts are fixed at
// construction; mu guards conns, closing and the closing of gone; vecs is
// a pool.
type loopHandler struct {
	gnet.BuiltinEventEngine
	set     *settings
	role    core.Role
	writers []*writer // one per event loop, shared by its connections
	waiter  *writeWaiter
	accepts chan *core.Session // server: sessions for Accept

	mu      sync.Mutex
	conns   map[*loopDriver]struct{}
	closing bool
	gone    chan struct{} // closed once closing and conns is empty

	vecs sync.Pool // *[][]byte scratch for Output batches
}

func newLoopHandler(set *settings, role core.Role, w *writeWaiter) *loopHandler {
	h := &loopHandler{
		set:     set,
		role:    role,
		waiter:  w,
		writers: make([]*writer, set.loops),
		conns:   make(map[*loopDriver]struct{}),
		gone:    make(chan struct{}),
		vecs:    sync.Pool{New: func() any { return new([][]byte) }},
	}
	for i := range h.writers {
		h.writers[i] = startWriter()
	}
	if role == core.RoleServer {
		h.accepts = make(chan *core.Session, set.acceptBacklog)
	}
	return h
}

// stopWriting stops the writers and the writeWaiter; every connection must
// be closed.
func (h *loopHandler) stopWriting() {
	for _, w := range h.writers {
		w.stop()
	}
	h.waiter.close()
}

// OnOpen implements gnet.EventHandler: the connection becomes a session, or
// is closed at once if the handler is closing or (server) the accept backlog is
// full. A dialled connection arrives with its driver as context; an
// accepted one gets a new driver.
func (h *loopHandler) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	d, _ := c.Context().(*loopDriver)
	if d == nil {
		d = &loopDriver{handler: h}
	}
	d.opened(c)
	h.mu.Lock()
	closing, full := h.closing, h.accepts != nil && len(h.accepts) == cap(h.accepts)
	if !closing && !full {
		// The configuration was validated, so NewEngine cannot fail.
		if eng, err := core.NewEngine(d, h.role, &h.set.sess); err == nil {
			d.eng = eng
			h.conns[d] = struct{}{}
			if h.accepts != nil {
				h.accepts <- eng.Session() // room checked above; only OnOpen sends, under mu
			}
		}
	}
	h.mu.Unlock()
	if d.eng == nil {
		c.SetContext(nil)
		h.set.log.Warn("evloop: connection refused", "remote", d.raddr, "closing", closing, "backlogFull", full)
		return nil, gnet.Close
	}
	c.SetContext(d)
	d.writer = h.writers[d.fd%len(h.writers)]
	h.waiter.add(d)
	d.ready.Store(true)
	return nil, gnet.None
}

// OnTraffic implements gnet.EventHandler.
func (h *loopHandler) OnTraffic(c gnet.Conn) gnet.Action {
	d, _ := c.Context().(*loopDriver)
	if d == nil {
		c.Discard(-1)
		return gnet.Close
	}
	return d.traffic(c)
}

// OnClose implements gnet.EventHandler.
func (h *loopHandler) OnClose(c gnet.Conn, err error) gnet.Action {
	d, _ := c.Context().(*loopDriver)
	if d == nil {
		return gnet.None
	}
	c.SetContext(nil)
	d.ended(err)
	h.mu.Lock()
	delete(h.conns, d)
	if h.closing && len(h.conns) == 0 {
		close(h.gone)
	}
	h.mu.Unlock()
	return gnet.None
}

// shutdown refuses new connections, closes every session (each sends its
// GoAway and drains, see loopDriver.Close) and waits until every connection is
// closed or, past twice the session WriteTimeout, gives up waiting: the
// caller stops the gnet engine next, which closes whatever is left.
func (h *loopHandler) shutdown() {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		return
	}
	h.closing = true
	sessions := make([]*core.Session, 0, len(h.conns))
	for d := range h.conns {
		sessions = append(sessions, d.eng.Session())
	}
	if len(h.conns) == 0 {
		close(h.gone)
	}
	h.mu.Unlock()
	for _, s := range sessions {
		s.Close()
	}
	t := time.NewTimer(2*h.set.sess.WriteTimeout + time.Second)
	defer t.Stop()
	select {
	case <-h.gone:
	case <-t.C:
		h.set.log.Warn("evloop: connections still draining at close; closing them", "left", h.live())
	}
}

// live returns the number of open connections.
func (h *loopHandler) live() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

func (h *loopHandler) getVec() *[][]byte  { return h.vecs.Get().(*[][]byte) }
func (h *loopHandler) putVec(v *[][]byte) { *v = (*v)[:0]; h.vecs.Put(v) }
