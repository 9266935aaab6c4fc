package kcpmux

import (
	"context"
	"fmt"
	"net"
	"sync"

	kcp "github.com/xtaci/kcp-go/v5"
)

// errListenerClosed is returned by Accept after Close; errors.Is(err,
// net.ErrClosed) holds.
var errListenerClosed = fmt.Errorf("kcpmux: listener closed: %w", net.ErrClosed)

// ConnListener accepts tuned KCP connections on one UDP socket, without a
// session on them. It is a net.Listener and safe for concurrent use.
//
// It mends two flaws of kcp-go's listener. kcp-go turns any packet from an
// address without a live connection into a new connection, so the last ACKs
// of a conversation that just ended raise a ghost of it: ConnListener
// remembers the conversations it handed out and closes their ghosts instead
// of returning them. And kcp-go leaves connections still in its accept
// backlog at Close running forever: ConnListener closes them.
//
// One goroutine, the pump, takes connections from kcp-go as Accept asks for
// them; it alone uses convs.
type ConnListener struct {
	st *settings
	kl *kcp.Listener
	pc net.PacketConn

	conns    chan *kcp.UDPSession // unbuffered: the pump hands one to Accept
	stopped  chan struct{}        // closed when the pump stops handing out
	err      error                // why, written before stopped is closed
	done     chan struct{}        // closed by Close
	pumpDone chan struct{}        // closed when the pump has returned
	once     sync.Once
	closeErr error
	convs    *recent
}

// ListenConn listens for KCP connections on the UDP address addr
// ("host:port"; port 0 picks one).
func ListenConn(addr string, cfg *Config) (*ConnListener, error) {
	st, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	l, err := st.listen(pc)
	if err != nil {
		pc.Close()
		return nil, err
	}
	return l, nil
}

// NewConnListener accepts KCP connections on the caller's packet
// connection, which it takes over: Close closes pc. On error pc is left
// open.
func NewConnListener(pc net.PacketConn, cfg *Config) (*ConnListener, error) {
	st, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	return st.listen(pc)
}

func (st *settings) listen(pc net.PacketConn) (*ConnListener, error) {
	if err := st.tuneSocket(pc); err != nil {
		return nil, err
	}
	// ServeConn leaves pc to us: Close closes it before kcp-go's listener,
	// which closeQueued relies on.
	kl, err := kcp.ServeConn(st.block, st.DataShards, st.ParityShards, pc)
	if err != nil {
		return nil, err
	}
	l := &ConnListener{
		st:       st,
		kl:       kl,
		pc:       pc,
		conns:    make(chan *kcp.UDPSession),
		stopped:  make(chan struct{}),
		done:     make(chan struct{}),
		pumpDone: make(chan struct{}),
		convs:    newRecent(recentConvs),
	}
	go l.pump()
	return l, nil
}

// AcceptConn waits for the next connection, until ctx is done or the
// listener is closed.
func (l *ConnListener) AcceptConn(ctx context.Context) (*kcp.UDPSession, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.stopped:
		return nil, l.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Accept waits for the next connection; it implements net.Listener.
func (l *ConnListener) Accept() (net.Conn, error) {
	c, err := l.AcceptConn(context.Background())
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Addr returns the address of the UDP socket.
func (l *ConnListener) Addr() net.Addr { return l.pc.LocalAddr() }

// Close closes the UDP socket, which every connection accepted from it
// shares: they all end, as does a pending Accept. Connections not yet
// accepted are closed. Close waits for the listener's goroutines.
func (l *ConnListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.closeErr = l.pc.Close()
		<-l.pumpDone
		l.kl.Close()
	})
	return l.closeErr
}

// pump hands kcp-go's connections to Accept until the listener is closed
// or its socket fails, then closes whatever kcp-go still holds.
func (l *ConnListener) pump() {
	defer close(l.pumpDone)
	sawErr := l.deliver()
	close(l.stopped)
	l.closeQueued(sawErr)
}

// deliver hands connections to Accept, closing ghosts, and sets l.err when
// it stops. It reports whether kcp-go's accept returned an error.
func (l *ConnListener) deliver() (sawErr bool) {
	for {
		c, err := l.kl.AcceptKCP()
		if err != nil {
			select {
			case <-l.done:
				l.err = errListenerClosed
			default:
				l.err = fmt.Errorf("kcpmux: listener socket: %w", err)
			}
			return true
		}
		k := convKey{c.RemoteAddr().String(), c.GetConv()}
		if l.convs.seen(k) {
			c.Close()
			continue
		}
		l.convs.add(k)
		l.st.tune(c)
		select {
		case l.conns <- c:
		case <-l.done:
			c.Close()
			l.err = errListenerClosed
			return false
		}
	}
}

// drainMisses is how many accept errors in a row closeQueued takes as proof
// that kcp-go's backlog is empty.
const drainMisses = 64

// closeQueued closes the connections left in kcp-go's accept backlog once the
// socket is closed. kcp-go creates connections only from its reading
// goroutine, which reports the socket's error through AcceptKCP when it
// stops (kcp-go's own close, the only other error, comes after closeQueued); after
// that first error the backlog can only shrink. AcceptKCP
// picks at random among a queued connection and the error, so while one is
// queued an error comes back half the time: drainMisses errors in a row
// leave one behind with probability 2^-63.
func (l *ConnListener) closeQueued(sawErr bool) {
	misses := 0
	if sawErr {
		misses = 1
	}
	for misses < drainMisses {
		c, err := l.kl.AcceptKCP()
		if err != nil {
			misses++
			continue
		}
		misses = 0
		c.Close()
	}
}
