// Command tunnel is a reverse tunnel over netmux: it publishes a service
// that runs behind a firewall or NAT through a server that users can reach.
//
// On the public machine:
//
//	go run ./examples/tunnel -mode server                 # tunnel port 7777, public port 8001
//
// Next to the private service (here one on 127.0.0.1:8000):
//
//	go run ./examples/tunnel -mode client -local 127.0.0.1:8000
//
// Every TCP connection to the public port now reaches the service, carried
// as a stream of the one tunnel session. The client reconnects when the
// tunnel drops; SIGINT or SIGTERM shuts either side down gracefully
// (a second signal kills). Both listen on and dial loopback by default; pass
// e.g. -public :8001 to expose the server.
//
// With -transport tls the server generates a self-signed certificate at
// start and prints its SHA-256 fingerprint; give it to the client as -pin
// (or, for a quick test, -insecure).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/examples/internal/transports"
	"github.com/netmux/netmux/examples/tunnel/tunnel"
)

func main() {
	mode := flag.String("mode", "", "server or client")
	tunnelAddr := flag.String("tunnel", "127.0.0.1:7777", "server: address to listen on for the tunnel client; client: server address to dial")
	public := flag.String("public", "127.0.0.1:8001", "server: address to listen on for public users")
	local := flag.String("local", "127.0.0.1:8000", "client: address of the service to expose")
	drain := flag.Duration("drain", tunnel.DefaultDrainTimeout, "on shutdown, how long open connections may finish")
	verbose := flag.Bool("v", false, "log every connection")
	tf := transports.AddFlags(flag.CommandLine)
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	// The first SIGINT or SIGTERM starts a graceful shutdown; a second one
	// kills the process as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)

	// A dead tunnel is noticed within 20s, not the default minute.
	cfg := core.DefaultConfig()
	cfg.KeepAliveInterval = 10 * time.Second
	cfg.KeepAliveTimeout = 10 * time.Second
	cfg.Logger = log
	opts := tf.Options(cfg)

	var err error
	switch *mode {
	case "server":
		err = runServer(ctx, log, tf.Transport, *tunnelAddr, *public, *drain, opts)
	case "client":
		c := &tunnel.Client{
			Dial: func(ctx context.Context) (*core.Session, error) {
				return transports.Dial(ctx, tf.Transport, *tunnelAddr, opts)
			},
			Local:        *local,
			Logger:       log,
			DrainTimeout: *drain,
		}
		log.Info("tunnel client starting", "server", *tunnelAddr, "transport", tf.Transport, "local", *local)
		err = c.Run(ctx)
	default:
		fmt.Fprintln(os.Stderr, "tunnel: -mode must be server or client")
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		log.Error("tunnel failed", "err", err)
		os.Exit(1)
	}
}

func runServer(ctx context.Context, log *slog.Logger, transport, tunnelAddr, public string, drain time.Duration, opts transports.Options) error {
	tunnels, err := transports.Listen(transport, tunnelAddr, opts)
	if err != nil {
		return err
	}
	pub, err := net.Listen("tcp", public)
	if err != nil {
		tunnels.Close()
		return err
	}
	log.Info("tunnel server listening", "tunnel", tunnels.Addr(), "transport", transport, "public", pub.Addr())
	if tl, ok := tunnels.(*transports.TLSListener); ok {
		log.Info("tls certificate generated; start the client with -pin", "pin", tl.Fingerprint())
	}
	s := &tunnel.Server{Tunnels: tunnels, Public: pub, Logger: log, DrainTimeout: drain}
	return s.Serve(ctx)
}
