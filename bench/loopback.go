package bench

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// setupTimeout bounds each step of building a pair: dial, accept and the
// construction of both ends.
const setupTimeout = 10 * time.Second

// ends builds the two ends of one multiplexer on an established connection.
// Either constructor may do I/O (a handshake): overTCP runs them
// concurrently, so neither may assume the other has finished.
type ends struct {
	client func(c net.Conn, o options) (session, error)
	server func(c net.Conn, o options) (session, error)
}

// overTCP returns a pair function that joins the two ends of e over a fresh
// loopback TCP connection, through a delaying relay if o.rtt is set. The
// listener is closed before the pair is returned, so the sessions own
// nothing but their connection.
func overTCP(e ends) func(options) (session, session, error) {
	return func(o options) (session, session, error) {
		link := loopbackConn
		if o.rtt > 0 {
			link = func() (net.Conn, net.Conn, error) { return delayedConn(o.rtt / 2) }
		}
		cc, sc, err := link()
		if err != nil {
			return nil, nil, err
		}
		type built struct {
			s   session
			err error
		}
		srv := make(chan built, 1)
		go func() {
			s, err := e.server(sc, o)
			srv <- built{s, err}
		}()
		client, cerr := e.client(cc, o)

		timer := time.NewTimer(setupTimeout)
		defer timer.Stop()
		var server session
		var serr error
		select {
		case b := <-srv:
			server, serr = b.s, b.err
		case <-timer.C:
			serr = fmt.Errorf("server end not built within %v", setupTimeout)
		}
		if err := errors.Join(cerr, serr); err != nil {
			// Closing the connections also unblocks a constructor that is
			// still waiting for its peer.
			cc.Close()
			sc.Close()
			if client != nil {
				client.Close()
			}
			if server != nil {
				server.Close()
			}
			return nil, nil, err
		}
		return client, server, nil
	}
}

// loopbackConn returns both ends of a new TCP connection on 127.0.0.1.
func loopbackConn() (client, server net.Conn, err error) {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close()
	// The kernel completes the handshake from its listen queue, so the
	// dial returns before Accept is called.
	client, err = net.DialTimeout("tcp", ln.Addr().String(), setupTimeout)
	if err != nil {
		return nil, nil, err
	}
	if err := ln.SetDeadline(time.Now().Add(setupTimeout)); err != nil {
		client.Close()
		return nil, nil, err
	}
	server, err = ln.Accept()
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return client, server, nil
}
