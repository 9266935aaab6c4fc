package bench

import (
	"net"

	"github.com/netmux/netmux/core"
)

// netmuxEnds returns the netmux adapter over the goroutine driver
// (core.Client/core.Server) at core.DefaultConfig, with MaxStreams raised
// only when a workload holds more streams at once than its default 1024.
func netmuxEnds() ends {
	config := func(o options) *core.Config {
		c := core.DefaultConfig()
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
