package evloop

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/panjf2000/gnet/v2"

	"github.com/netmux/netmux/core"
)

// ErrClosed is returned by Accept after the Listener is closed and by Dial
// after the Client is closed; errors.Is(err, net.ErrClosed) holds.
var ErrClosed = fmt.Errorf("evloop: closed: %w", net.ErrClosed)

// Listener accepts connections on gnet event loops and makes each one the
// server side of a session. It is safe for concurrent use.
type Listener struct {
	hub    *hub
	eng    gnet.Engine
	addr   net.Addr
	done   chan struct{} // closed when the gnet engine has stopped
	runErr error         // why it stopped, if it failed; set before done
	once   sync.Once
}

// Listen starts a gnet engine listening on addr and returns its Listener.
// addr is "host:port" (TCP), or in gnet's form "tcp://host:port",
// "tcp4://…", "tcp6://…" or "unix:///path/to/socket"; port 0 picks a free
// port, which Addr reports. The engine runs Config.EventLoops event loops
// plus one accepting goroutine, whatever the number of sessions.
func Listen(addr string, cfg *Config) (*Listener, error) {
	set, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	network, address, err := splitAddr(addr)
	if err != nil {
		return nil, err
	}
	h := newHub(set, core.RoleServer)
	l := &Listener{hub: h, done: make(chan struct{})}
	go func() {
		l.runErr = gnet.Run(h, network+"://"+address, set.gnetOptions()...)
		close(l.done)
	}()
	select {
	case l.eng = <-h.booted:
	case <-l.done:
		if l.runErr == nil {
			l.runErr = ErrClosed
		}
		return nil, fmt.Errorf("evloop: listen %s: %w", addr, l.runErr)
	}
	if l.addr, err = boundAddr(l.eng); err != nil {
		l.stopEngine()
		return nil, fmt.Errorf("evloop: listen %s: %w", addr, err)
	}
	return l, nil
}

// Accept waits for the next session a peer connects. It fails with
// ErrClosed once the Listener is closed.
func (l *Listener) Accept() (*core.Session, error) {
	return l.AcceptSession(context.Background())
}

// AcceptSession is Accept bounded by ctx: it returns ctx.Err() if ctx ends
// the wait.
func (l *Listener) AcceptSession(ctx context.Context) (*core.Session, error) {
	select {
	case <-l.hub.quit:
		return nil, ErrClosed
	case <-l.done:
		return nil, l.stoppedErr()
	default:
	}
	select {
	case s := <-l.hub.accepts:
		return s, nil
	case <-l.hub.quit:
		return nil, ErrClosed
	case <-l.done:
		return nil, l.stoppedErr()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// stoppedErr is Accept's error once the engine has stopped.
func (l *Listener) stoppedErr() error {
	if l.runErr != nil {
		return fmt.Errorf("evloop: event loops stopped: %w", l.runErr)
	}
	return ErrClosed
}

// Addr returns the address the Listener is bound to.
func (l *Listener) Addr() net.Addr { return l.addr }

// NumSessions returns the number of sessions whose connection is open,
// accepted or not.
func (l *Listener) NumSessions() int { return l.hub.live() }

// Close stops accepting, closes every session it made (each sends GoAway
// and gets up to its WriteTimeout to flush), stops the event loops and
// returns once all of them have exited. It is idempotent.
func (l *Listener) Close() error {
	l.once.Do(func() {
		l.hub.shutdown()
		l.stopEngine()
	})
	return nil
}

// stopEngine tells gnet to stop and waits until Run has returned: every
// event loop has exited and closed its connections.
func (l *Listener) stopEngine() {
	// Stop with a context that is already done only asks the engine to
	// stop (gnet's own wait polls every 500ms); waiting for Run is exact.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = l.eng.Stop(ctx)
	<-l.done
}

// boundAddr returns the address of the engine's listening socket (the port
// chosen for port 0).
func boundAddr(eng gnet.Engine) (net.Addr, error) {
	fd, err := eng.Dup()
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "gnet-listener")
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	return ln.Addr(), nil
}
