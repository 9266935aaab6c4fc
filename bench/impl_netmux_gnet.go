package bench

import (
	"context"
	"fmt"
	"sync"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/transport/evloop"
)

// gnetLoops is the netmux adapter on gnet event loops at both ends
// (transport/evloop): one Listener and one Client, each with its default
// event loops (one per CPU), carry every pair alive at a time, so no
// session adds a goroutine. They start with the first pair and stop when
// the last end is closed, so a workload that closes everything it made
// leaves nothing running. The session configuration is core's default with
// MaxStreams raised, as for netmux, to what the first pair's workload
// holds open.
type gnetLoops struct {
	mu   sync.Mutex
	ends int // ends made and not yet closed
	ln   *evloop.Listener
	cl   *evloop.Client
	max  int // MaxStreams of the running loops
}

// netmuxGnetPairs returns the pair function of the netmux-gnet entry.
func netmuxGnetPairs() func(o options) (session, session, error) {
	g := &gnetLoops{}
	return g.pair
}

func (g *gnetLoops) pair(o options) (session, session, error) {
	g.mu.Lock()
	if g.ends == 0 {
		if err := g.start(o); err != nil {
			g.mu.Unlock()
			return nil, nil, err
		}
	}
	if o.streams > g.max {
		g.mu.Unlock()
		return nil, nil, fmt.Errorf("netmux-gnet: loops started for %d streams a session, workload wants %d", g.max, o.streams)
	}
	g.ends += 2
	ln, cl := g.ln, g.cl
	g.mu.Unlock()

	client, server, err := gnetSessions(ln, cl)
	if err != nil {
		g.release()
		g.release()
		return nil, nil, err
	}
	return &gnetEnd{Session: client, g: g}, &gnetEnd{Session: server, g: g}, nil
}

// start starts the Listener and Client; g.mu is held.
func (g *gnetLoops) start(o options) error {
	sc := core.DefaultConfig()
	sc.MaxStreams = max(sc.MaxStreams, o.streams)
	cfg := evloop.DefaultConfig()
	cfg.Session = sc
	ln, err := evloop.Listen("127.0.0.1:0", cfg)
	if err != nil {
		return err
	}
	cl, err := evloop.NewClient(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	g.ln, g.cl, g.max = ln, cl, sc.MaxStreams
	return nil
}

// release records that one end is closed, and stops the loops after the
// last.
func (g *gnetLoops) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ends--; g.ends == 0 {
		g.cl.Close()
		g.ln.Close()
		g.ln, g.cl = nil, nil
	}
}

// gnetSessions dials ln from cl and accepts the session it made. Pairs are
// built one at a time, so the next accepted session is the dialled one;
// the addresses are checked all the same.
func gnetSessions(ln *evloop.Listener, cl *evloop.Client) (client, server *core.Session, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	client, err = cl.Dial(ctx, ln.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	server, err = ln.AcceptSession(ctx)
	if err == nil && server.RemoteAddr().String() != client.LocalAddr().String() {
		server.Close()
		err = fmt.Errorf("netmux-gnet: accepted the session from %v, dialled from %v", server.RemoteAddr(), client.LocalAddr())
	}
	if err != nil {
		client.Close()
		return nil, nil, err
	}
	return client, server, nil
}

// gnetEnd is one end of a netmux-gnet pair: a session whose Close also
// releases its hold on the shared loops.
type gnetEnd struct {
	*core.Session
	g    *gnetLoops
	once sync.Once
}

// Close closes the session and, the first time, releases the loops.
func (e *gnetEnd) Close() error {
	e.Session.Close()
	e.once.Do(e.g.release)
	return nil
}
