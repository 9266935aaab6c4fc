package tunnel

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// Listener accepts tunnel clients, each as the server side of a netmux
// session. The examples' transports package provides one per transport.
// Close may close the sessions Accept returned as well: Serve calls it only
// once they are drained.
type Listener interface {
	Accept() (*core.Session, error)
	Close() error
	Addr() net.Addr
}

// Defaults for the zero values of Server and Client fields.
const (
	DefaultWaitTunnel   = 5 * time.Second
	DefaultDrainTimeout = 10 * time.Second
)

// ErrNoTunnel is why a public connection is dropped when no tunnel client
// connects within Server.WaitTunnel.
var ErrNoTunnel = errors.New("tunnel: no tunnel client connected")

// Server is the public side of the tunnel. Set the fields, then call Serve
// once.
type Server struct {
	// Tunnels accepts tunnel clients.
	Tunnels Listener
	// Public accepts the public users' TCP connections.
	Public net.Listener
	// Logger receives connection events and errors; nil means
	// slog.Default().
	Logger *slog.Logger
	// WaitTunnel is how long a public connection waits for a tunnel client
	// while none is connected, e.g. while one reconnects (0 means
	// DefaultWaitTunnel).
	WaitTunnel time.Duration
	// DrainTimeout bounds the graceful shutdown: how long open connections
	// may go on after Serve's context ends (0 means DefaultDrainTimeout).
	DrainTimeout time.Duration

	mu       sync.Mutex
	sessions []*core.Session // connected tunnel clients, newest last
	changed  chan struct{}   // closed when a client connects; nil: not made yet
	closing  bool            // Serve is shutting down: no new tunnel clients
	wg       sync.WaitGroup  // every goroutine Serve started
}

// Serve runs the server until ctx ends, then stops accepting, lets open
// connections finish for up to DrainTimeout (the tunnel sessions are shut
// down gracefully), closes both listeners and returns nil. If a listener
// fails first, Serve shuts down the same way and returns that error.
// Each public connection is carried by the newest connected tunnel client.
func (s *Server) Serve(ctx context.Context) error {
	log := s.logger()
	stop, cancel := context.WithCancel(ctx)
	defer cancel()
	failed := make(chan error, 2)
	var loops sync.WaitGroup
	loops.Go(func() { failed <- s.acceptTunnels(stop) })
	loops.Go(func() { failed <- s.acceptPublic(stop) })

	var err error
	select {
	case <-ctx.Done():
	case err = <-failed:
		log.Error("tunnel server: listener failed", "err", err)
	}
	cancel()
	// No new users. The tunnel listener stays open until the sessions are
	// drained, since closing it may close them too (evloop's does); tunnel
	// clients arriving meanwhile are turned away.
	s.Public.Close()
	s.mu.Lock()
	s.closing = true
	sessions := slices.Clone(s.sessions)
	s.mu.Unlock()
	log.Info("tunnel server: shutting down", "tunnels", len(sessions))
	drain, cancelDrain := context.WithTimeout(context.WithoutCancel(ctx), cmp.Or(s.DrainTimeout, DefaultDrainTimeout))
	defer cancelDrain()
	var shut sync.WaitGroup
	for _, sess := range sessions {
		shut.Go(func() {
			if err := sess.Shutdown(drain); err != nil {
				log.Warn("tunnel server: drain cut short", "tunnel", sess.RemoteAddr(), "open", sess.NumStreams(), "err", err)
			}
		})
	}
	shut.Wait()
	s.Tunnels.Close()
	loops.Wait()
	s.wg.Wait()
	return err
}

// WaitConnected waits until at least one tunnel client is connected, or
// ctx ends. Serve must be running.
func (s *Server) WaitConnected(ctx context.Context) error {
	for {
		s.mu.Lock()
		n, changed := len(s.sessions), s.changedLocked()
		s.mu.Unlock()
		if n > 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// acceptTunnels accepts tunnel clients until stop ends or the listener
// fails.
func (s *Server) acceptTunnels(stop context.Context) error {
	log := s.logger()
	for {
		sess, err := s.Tunnels.Accept()
		if err != nil {
			if stop.Err() != nil {
				return nil
			}
			return err
		}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			sess.Close()
			continue
		}
		log.Info("tunnel client connected", "tunnel", sess.RemoteAddr())
		s.sessions = append(s.sessions, sess)
		close(s.changedLocked())
		s.changed = nil
		s.mu.Unlock()
		s.wg.Go(func() { s.watch(sess) })
	}
}

// watch refuses the streams a tunnel client opens (only the server opens
// streams) and forgets the client when its session ends.
func (s *Server) watch(sess *core.Session) {
	for {
		st, err := sess.AcceptStream(context.Background())
		if err != nil {
			break
		}
		st.Reset()
	}
	s.forget(sess)
	if err := sess.Err(); endedNormally(err) {
		s.logger().Info("tunnel client gone", "tunnel", sess.RemoteAddr())
	} else {
		s.logger().Warn("tunnel client lost", "tunnel", sess.RemoteAddr(), "err", err)
	}
}

// endedNormally reports whether a session ended as it should: closed or
// shut down here, or a GoAway(Normal) from the peer, which is shutting
// down.
func endedNormally(err error) bool {
	var ga *core.GoAwayError
	return errors.Is(err, core.ErrSessionClosed) || errors.As(err, &ga) && ga.Remote && ga.Code == frame.CodeNormal
}

// changedLocked returns the channel closed when the next tunnel client
// connects.
func (s *Server) changedLocked() chan struct{} {
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

// forget removes sess from the connected tunnel clients.
func (s *Server) forget(sess *core.Session) {
	s.mu.Lock()
	s.sessions = slices.DeleteFunc(s.sessions, func(x *core.Session) bool { return x == sess })
	s.mu.Unlock()
}

// acceptPublic accepts public users until stop ends or the listener fails.
func (s *Server) acceptPublic(stop context.Context) error {
	for {
		c, err := s.Public.Accept()
		if err != nil {
			if stop.Err() != nil {
				return nil
			}
			return err
		}
		s.wg.Go(func() { s.handlePublic(stop, c) })
	}
}

// handlePublic carries one public connection through the tunnel.
func (s *Server) handlePublic(stop context.Context, c net.Conn) {
	log := s.logger().With("user", c.RemoteAddr())
	st, err := s.openStream(stop)
	if err != nil {
		log.Warn("tunnel server: dropping public connection", "err", err)
		abort(c)
		return
	}
	log.Debug("tunnel server: public connection open", "stream", st.ID())
	if err := pipe(c, st); err != nil {
		log.Info("tunnel server: public connection aborted", "stream", st.ID(), "err", err)
		return
	}
	log.Debug("tunnel server: public connection done", "stream", st.ID())
}

// openStream opens a stream on the newest tunnel session, waiting up to
// WaitTunnel for one. A session that refuses new streams (it is going
// away) is forgotten and the next newest tried.
func (s *Server) openStream(stop context.Context) (*core.Stream, error) {
	ctx, cancel := context.WithTimeout(stop, cmp.Or(s.WaitTunnel, DefaultWaitTunnel))
	defer cancel()
	for {
		if err := stop.Err(); err != nil {
			return nil, err // shutting down: OpenStream would not notice
		}
		s.mu.Lock()
		var sess *core.Session
		if n := len(s.sessions); n > 0 {
			sess = s.sessions[n-1]
		}
		changed := s.changedLocked()
		s.mu.Unlock()
		if sess != nil {
			st, err := sess.OpenStream(ctx)
			switch {
			case err == nil:
				return st, nil
			case errors.Is(err, net.ErrClosed):
				s.forget(sess)
				continue
			default:
				return nil, err
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			if stop.Err() == nil {
				return nil, ErrNoTunnel
			}
		}
	}
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
