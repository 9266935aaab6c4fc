package transports

import (
	"context"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/transport/evloop"
)

// listenGnet serves sessions on gnet event loops; its Close also closes
// the sessions it accepted.
func listenGnet(addr string, o Options) (Listener, error) {
	cfg := evloop.DefaultConfig()
	cfg.Session = o.Config
	ln, err := evloop.Listen(addr, cfg)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return ln, nil
}

// dialGnet runs the session on an event loop of its own, stopped when the
// session ends. A program holding many sessions would share one
// evloop.Client among them instead.
func dialGnet(ctx context.Context, addr string, o Options) (*core.Session, error) {
	cfg := evloop.DefaultConfig()
	cfg.Session, cfg.EventLoops = o.Config, 1
	cl, err := evloop.NewClient(cfg)
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
