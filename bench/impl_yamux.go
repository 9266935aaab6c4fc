package bench

import (
	"io"
	"net"

	"github.com/hashicorp/yamux"
)

// yamuxEnds returns the hashicorp/yamux adapter. *yamux.Session already has
// the session method set. The configuration is yamux.DefaultConfig with the
// log discarded and, when a workload holds more streams open than the
// default AcceptBacklog (256), the backlog raised to match: yamux caps
// in-flight stream opens at the backlog, so without this Open stalls behind
// the peer's accepts.
func yamuxEnds() ends {
	config := func(o options) *yamux.Config {
		c := yamux.DefaultConfig()
		c.LogOutput = io.Discard
		if o.streams > c.AcceptBacklog {
			c.AcceptBacklog = o.streams
		}
		return c
	}
	return ends{
		client: func(c net.Conn, o options) (session, error) {
			s, err := yamux.Client(c, config(o))
			if err != nil {
				return nil, err
			}
			return s, nil
		},
		server: func(c net.Conn, o options) (session, error) {
			s, err := yamux.Server(c, config(o))
			if err != nil {
				return nil, err
			}
			return s, nil
		},
	}
}
