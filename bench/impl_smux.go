package bench

import (
	"net"

	"github.com/xtaci/smux"
)

// smuxEnds returns the xtaci/smux adapter at smux.DefaultConfig with the
// given protocol version: 1 (one receive buffer shared by the session) or 2
// (per-stream flow-control windows). smux needs no tuning for many streams:
// its fixed accept queue of 1024 makes the reader wait instead of refusing
// streams.
func smuxEnds(version int) ends {
	config := func() *smux.Config {
		c := smux.DefaultConfig()
		c.Version = version
		return c
	}
	return ends{
		client: func(c net.Conn, _ options) (session, error) {
			s, err := smux.Client(c, config())
			if err != nil {
				return nil, err
			}
			return smuxSession{s}, nil
		},
		server: func(c net.Conn, _ options) (session, error) {
			s, err := smux.Server(c, config())
			if err != nil {
				return nil, err
			}
			return smuxSession{s}, nil
		},
	}
}

// smuxSession adapts *smux.Session, whose Open and Accept return
// io.ReadWriteCloser, to session; *smux.Stream is a full net.Conn.
type smuxSession struct{ s *smux.Session }

// Open opens a stream; it does not wait for the peer to accept it.
func (s smuxSession) Open() (net.Conn, error) {
	st, err := s.s.OpenStream()
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Accept waits for the peer's next stream.
func (s smuxSession) Accept() (net.Conn, error) {
	st, err := s.s.AcceptStream()
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Close closes the session, its streams and its connection.
func (s smuxSession) Close() error { return s.s.Close() }
