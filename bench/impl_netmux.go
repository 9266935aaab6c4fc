package bench

import (
	"net"

	"github.com/netmux/netmux/core"
)

// netmuxEnds returns the netmux adapter over the goroutine driver
// (core.Client/core.Server) at core.DefaultConfig in dialect d, with
// MaxStreams raised only when a workload holds more streams at once than
// its default 1024.
func netmuxEnds(d core.Dialect) ends {
	config := func(o options) *core.Config {
		c := core.DefaultConfig()
		c.Dialect = d
		c.MaxStreams = max(c.MaxStreams, o.streams)
		return c
	}
	return ends{
		client: func(c net.Conn, o options) (session, error) {
			s, err := core.Client(c, config(o))
			if err != nil {
				return nil, err
			}
			return s, nil
		},
		server: func(c net.Conn, o options) (session, error) {
			s, err := core.Server(c, config(o))
			if err != nil {
				return nil, err
			}
			return s, nil
		},
	}
}
