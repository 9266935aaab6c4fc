package bench

import (
	"context"
	"io"
	"net"

	goyamux "github.com/libp2p/go-yamux/v5"
)

// goYamuxEnds returns the libp2p/go-yamux adapter: goyamux.DefaultConfig
// with a nil memory manager and the log discarded. When a workload holds
// more streams open than the defaults allow, AcceptBacklog (256) and
// MaxIncomingStreams (1000; past it go-yamux resets new streams) are raised
// to match.
func goYamuxEnds() ends {
	config := func(o options) *goyamux.Config {
		c := goyamux.DefaultConfig()
		c.LogOutput = io.Discard
		if o.streams > c.AcceptBacklog {
			c.AcceptBacklog = o.streams
		}
		if o.streams > int(c.MaxIncomingStreams) {
			c.MaxIncomingStreams = uint32(o.streams)
		}
		return c
	}
	return ends{
		client: func(c net.Conn, o options) (session, error) {
			s, err := goyamux.Client(c, config(o), nil)
			if err != nil {
				return nil, err
			}
			return goYamuxSession{s}, nil
		},
		server: func(c net.Conn, o options) (session, error) {
			s, err := goyamux.Server(c, config(o), nil)
			if err != nil {
				return nil, err
			}
			return goYamuxSession{s}, nil
		},
	}
}

// goYamuxSession adapts *goyamux.Session, whose Open takes a context.
type goYamuxSession struct{ *goyamux.Session }

// Open opens a stream. It is bounded by Close rather than by a context:
// the harness closes the session when a run overstays its time.
func (s goYamuxSession) Open() (net.Conn, error) {
	return s.Session.Open(context.Background())
}
