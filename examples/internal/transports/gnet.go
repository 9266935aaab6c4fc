package transports

import (
	"context"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/transport/evloop"
)

// listenGnet serves sessions on gnet event loops; its Close also closes
// the sessions it accepted.
func listenGnet(addr string, o Options) (Listener, error) {
	ln, err := evloop.Listen(addr, &evloop.Config{Session: o.Config})
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return ln, nil
}

// dialGnet runs the session on an event loop of its own, stopped when the
// session ends. A program holding many sessions would share one
// evloop.Client among them instead.
func dialGnet(ctx context.Context, addr string, o Options) (*core.Session, error) {
	cl, err := evloop.NewClient(&evloop.Config{Session: o.Config, EventLoops: 1})
	if err != nil {
		return nil, err
	}
	sess, err := cl.Dial(ctx, addr)
	if err != nil {
		cl.Close()
		return nil, err
	}
	go func() {
		<-sess.Done()
		cl.Close()
	}()
	return sess, nil
}
