package bench

import (
	"errors"
	"net"
	"sync"
)

// tcpPair builds the raw-TCP baseline: every stream is its own loopback
// connection, the physical limit a multiplexer is measured against. The
// "session" pair is a dialer and a listener; each end tracks the
// connections it made so that Close releases them, as closing a
// multiplexed session releases its streams.
func tcpPair(options) (client, server session, err error) {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, nil, err
	}
	c := &tcpClient{addr: ln.Addr().String(), conns: newConnSet()}
	s := &tcpServer{ln: ln, conns: newConnSet()}
	return c, s, nil
}

// tcpClient is the dialing end of the raw-TCP baseline.
type tcpClient struct {
	addr  string
	conns *connSet
}

// Open dials a new connection to the server end.
func (c *tcpClient) Open() (net.Conn, error) {
	d := net.Dialer{Timeout: setupTimeout}
	conn, err := d.Dial("tcp", c.addr)
	if err != nil {
		return nil, err
	}
	return c.conns.track(conn.(*net.TCPConn))
}

// Accept is not supported: in the baseline only the client opens.
func (c *tcpClient) Accept() (net.Conn, error) { return nil, errors.ErrUnsupported }

// Close closes every connection this end dialed and refuses new ones.
func (c *tcpClient) Close() error { return c.conns.close() }

// tcpServer is the listening end of the raw-TCP baseline.
type tcpServer struct {
	ln    *net.TCPListener
	conns *connSet
}

// Open is not supported: in the baseline only the client opens.
func (s *tcpServer) Open() (net.Conn, error) { return nil, errors.ErrUnsupported }

// Accept waits for the next connection.
func (s *tcpServer) Accept() (net.Conn, error) {
	conn, err := s.ln.AcceptTCP()
	if err != nil {
		return nil, err
	}
	return s.conns.track(conn)
}

// Close closes the listener and every accepted connection.
func (s *tcpServer) Close() error {
	err := s.ln.Close()
	return errors.Join(err, s.conns.close())
}

// connSet is the set of live connections of one raw-TCP end.
type connSet struct {
	mu     sync.Mutex
	conns  map[*trackedConn]struct{} // guarded by mu
	closed bool                      // guarded by mu
}

func newConnSet() *connSet {
	return &connSet{conns: make(map[*trackedConn]struct{})}
}

// track adds c to the set, or closes it if the set is closed.
func (s *connSet) track(c *net.TCPConn) (net.Conn, error) {
	t := &trackedConn{TCPConn: c, set: s}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	s.conns[t] = struct{}{}
	return t, nil
}

// close closes every tracked connection and marks the set closed.
func (s *connSet) close() error {
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.closed = true
	s.mu.Unlock()
	for c := range conns {
		c.TCPConn.Close()
	}
	return nil
}

// trackedConn is a connection that leaves its set when closed. Embedding
// *net.TCPConn keeps its ReadFrom and WriteTo fast paths.
type trackedConn struct {
	*net.TCPConn
	set *connSet
}

// Close removes the connection from its set and closes it.
func (c *trackedConn) Close() error {
	c.set.mu.Lock()
	delete(c.set.conns, c)
	c.set.mu.Unlock()
	return c.TCPConn.Close()
}
