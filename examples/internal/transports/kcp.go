package transports

import (
	"context"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/transport/kcpmux"
)

// kcpConfig is kcpmux's tuned defaults, with the session configuration of
// o (nil: kcpmux.DefaultMuxConfig, keepalive every 10s).
func kcpConfig(o Options) *kcpmux.Config {
	c := kcpmux.DefaultConfig()
	c.Mux = o.Config
	return c
}

// listenKCP serves sessions over KCP on one UDP socket; its Close also
// ends the sessions it accepted, which share the socket.
func listenKCP(addr string, o Options) (Listener, error) {
	ln, err := kcpmux.Listen(addr, kcpConfig(o))
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return ln, nil
}

// dialKCP dials over KCP; it succeeds once the server's session has
// answered a ping and fails within ctx when nothing answers.
func dialKCP(ctx context.Context, addr string, o Options) (*core.Session, error) {
	return kcpmux.Dial(ctx, addr, kcpConfig(o))
}
