package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/examples/internal/transports"
	"github.com/netmux/netmux/examples/tunnel/tunnel"
)

// rig is everything the demo runs in-process on loopback: the HTTP service,
// and the tunnel server and client that publish it.
type rig struct {
	public  string // the tunnel's public address: where users connect
	httpSrv *http.Server
	httpErr chan error
	stop    context.CancelFunc
	srvErr  chan error
	cliErr  chan error
}

// startRig starts the HTTP service for files and a tunnel to it over the
// named transport, and waits until the tunnel is up.
func startRig(ctx context.Context, transport string, files []file, log *slog.Logger) (*rig, error) {
	r := &rig{httpErr: make(chan error, 1), srvErr: make(chan error, 1), cliErr: make(chan error, 1)}

	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.httpSrv = &http.Server{Handler: fileHandler(files), ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { r.httpErr <- r.httpSrv.Serve(httpLn) }()

	tunnels, err := transports.Listen(transport, "127.0.0.1:0", transports.Options{})
	if err != nil {
		r.httpSrv.Close()
		<-r.httpErr
		return nil, err
	}
	pub, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tunnels.Close()
		r.httpSrv.Close()
		<-r.httpErr
		return nil, err
	}
	r.public = pub.Addr().String()
	// The in-process client pins the certificate the TLS listener made.
	dialOpts := transports.Options{}
	if tl, ok := tunnels.(*transports.TLSListener); ok {
		dialOpts.Pin = tl.Fingerprint()
	}
	server := &tunnel.Server{Tunnels: tunnels, Public: pub, Logger: log}
	client := &tunnel.Client{
		Dial: func(ctx context.Context) (*core.Session, error) {
			return transports.Dial(ctx, transport, tunnels.Addr().String(), dialOpts)
		},
		Local:  httpLn.Addr().String(),
		Logger: log,
	}
	var runCtx context.Context
	runCtx, r.stop = context.WithCancel(context.WithoutCancel(ctx))
	go func() { r.srvErr <- server.Serve(runCtx) }()
	go func() { r.cliErr <- client.Run(runCtx) }()

	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := server.WaitConnected(wait); err != nil {
		return nil, errors.Join(errors.New("tunnel client did not connect"), err, r.close())
	}
	return r, nil
}

// close stops the tunnel (gracefully: nothing is in flight by now) and the
// HTTP service, and returns the first error any of them reported.
func (r *rig) close() error {
	r.stop()
	errs := []error{<-r.srvErr, <-r.cliErr}
	r.httpSrv.Close()
	if err := <-r.httpErr; !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
