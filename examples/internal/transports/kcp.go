package transports

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	kcp "github.com/xtaci/kcp-go/v5"

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

// AwaitKCPClosed waits until no KCP connection of the process is open, or
// timeout has passed. A closed session over KCP lingers until the peer has
// acknowledged its last frames (up to kcpmux's Linger, longer on a busy
// machine): tests call it before they look for leaked goroutines. Nothing
// signals the end, but kcp-go counts open connections.
func AwaitKCPClosed(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		n := atomic.LoadUint64(&kcp.DefaultSnmp.CurrEstab)
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d KCP connections still open after %v", n, timeout)
		}
		time.Sleep(time.Millisecond)
	}
}
