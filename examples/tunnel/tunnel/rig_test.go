package tunnel_test

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/examples/internal/transports"
	"github.com/netmux/netmux/examples/tunnel/tunnel"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 20 * time.Second

// rig is a tunnel server and client running in-process on loopback.
type rig struct {
	server   *tunnel.Server
	client   *tunnel.Client
	public   string             // address public users dial
	sessions chan *core.Session // server sides of the tunnel sessions, as accepted
	stopSrv  context.CancelFunc
	stopCli  context.CancelFunc
	srvDone  chan error
	cliDone  chan error
}

// recorder passes on the sessions a Listener accepts.
type recorder struct {
	transports.Listener
	sessions chan *core.Session
}

func (r recorder) Accept() (*core.Session, error) {
	sess, err := r.Listener.Accept()
	if err == nil {
		select {
		case r.sessions <- sess:
		default:
		}
	}
	return sess, err
}

// startRig starts a tunnel over transport to local and waits until the
// client is connected. Both ends stop at test cleanup.
func startRig(t *testing.T, transport, local string) *rig {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
	ln, err := transports.Listen(transport, "127.0.0.1:0", transports.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	opts := transports.Options{}
	if tl, ok := ln.(interface{ Fingerprint() string }); ok {
		opts.Pin = tl.Fingerprint()
	}
	addr := ln.Addr().String()
	r := &rig{
		public:   pub.Addr().String(),
		sessions: make(chan *core.Session, 8),
		srvDone:  make(chan error, 1),
		cliDone:  make(chan error, 1),
	}
	r.server = &tunnel.Server{
		Tunnels:      recorder{ln, r.sessions},
		Public:       pub,
		Logger:       log,
		DrainTimeout: testTimeout,
	}
	r.client = &tunnel.Client{
		Dial: func(ctx context.Context) (*core.Session, error) {
			return transports.Dial(ctx, transport, addr, opts)
		},
		Local:        local,
		Logger:       log,
		MinBackoff:   5 * time.Millisecond,
		MaxBackoff:   50 * time.Millisecond,
		DrainTimeout: testTimeout,
	}
	srvCtx, stopSrv := context.WithCancel(context.Background())
	cliCtx, stopCli := context.WithCancel(context.Background())
	r.stopSrv, r.stopCli = stopSrv, stopCli
	go func() { r.srvDone <- r.server.Serve(srvCtx) }()
	go func() { r.cliDone <- r.client.Run(cliCtx) }()
	t.Cleanup(func() {
		r.stopServer(t)
		r.stopClient(t)
		// A closed session over KCP lingers for a moment: goleak must
		// look after that.
		if err := transports.AwaitKCPClosed(testTimeout); err != nil {
			t.Fatal(err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := r.server.WaitConnected(ctx); err != nil {
		t.Fatalf("tunnel client never connected: %v", err)
	}
	return r
}

// stopServer cancels Serve and waits for it to return nil.
func (r *rig) stopServer(t *testing.T) {
	t.Helper()
	r.stopSrv()
	wait(t, "Serve", r.srvDone)
}

// stopClient cancels Run and waits for it to return nil.
func (r *rig) stopClient(t *testing.T) {
	t.Helper()
	r.stopCli()
	wait(t, "Run", r.cliDone)
}

// wait waits for the result of a stopped Serve or Run, once.
func wait(t *testing.T, what string, done chan error) {
	t.Helper()
	select {
	case err, ok := <-done:
		if ok {
			close(done)
			if err != nil {
				t.Errorf("%s returned %v", what, err)
			}
		}
	case <-time.After(testTimeout):
		t.Fatalf("%s did not return within %v", what, testTimeout)
	}
}

// dial connects to the public port as a user.
func (r *rig) dial(t *testing.T) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", r.public, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
