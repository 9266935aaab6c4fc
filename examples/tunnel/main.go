// Command tunnel is a reverse tunnel over netmux: it publishes a service
// that runs behind a firewall or NAT through a server that users can reach.
//
// On the public machine:
//
//	go run ./examples/tunnel -mode server                 # tunnel port 7777, public port 8001
//
// Next to the private service, which must already be listening on -local
// (here 127.0.0.1:8000; the tunnel does not start it):
//
//	go run ./examples/tunnel -mode client -local 127.0.0.1:8000
//
// Every TCP connection to the public port now reaches the service, carried
// as a stream of the one tunnel session. The client reconnects when the
// tunnel drops; SIGINT or SIGTERM shuts either side down gracefully
// (a second signal kills). Both listen on and dial loopback by default; pass
// e.g. -public :8001 to expose the server.
//
// With -transport tls the server serves a self-signed certificate and logs
// its SHA-256 fingerprint; give it to the client as -pin (or, for a quick
// test, -insecure). Without -cert and -key the certificate is new at every
// start; with them it is kept in those files (created at the first start),
// so the pin, and the client's reconnection, survive a server restart.
//
// Bad flags are usage errors: the program exits at once with status 2.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
	// The first SIGINT or SIGTERM starts a graceful shutdown; a second one
	// kills the process as usual.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop)
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

const usage = `Usage: tunnel -mode server|client [flags]

A reverse tunnel: the server takes one tunnel client on -tunnel and public
users on -public; the client, next to a private service, joins every public
connection to a new connection to -local. A service must already be
listening on -local: the tunnel does not start one.

Flags:
`

// run is the program: it parses args, runs the chosen side until ctx ends
// and returns the exit status: 0 after a normal shutdown, 2 for a usage
// error, 1 if the tunnel failed. It logs to stderr.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("tunnel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	mode := fs.String("mode", "", "server or client")
	tunnelAddr := fs.String("tunnel", "127.0.0.1:7777", "server: address to listen on for the tunnel client; client: server address to dial")
	public := fs.String("public", "127.0.0.1:8001", "server: address to listen on for public users")
	local := fs.String("local", "127.0.0.1:8000", "client: address of the service to expose, which must be listening there")
	drain := fs.Duration("drain", tunnel.DefaultDrainTimeout, "on shutdown, how long open connections may finish")
	verbose := fs.Bool("v", false, "log every connection")
	tf := transports.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2 // the flag package has printed the error and the usage
	}
	if err := checkFlags(*mode, tf, fs.NArg()); err != nil {
		fmt.Fprintln(stderr, "tunnel:", err)
		fs.Usage()
		return 2
	}

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	// A dead tunnel is noticed within 20s, not the default minute.
	cfg := core.DefaultConfig()
	cfg.KeepAliveInterval = 10 * time.Second
	cfg.KeepAliveTimeout = 10 * time.Second
	cfg.Logger = log
	opts := tf.Options(cfg)

	var err error
	if *mode == "server" {
		err = runServer(ctx, log, tf.Transport, *tunnelAddr, *public, *drain, opts)
	} else {
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
	}
	if err != nil {
		log.Error("tunnel failed", "err", err)
		return 1
	}
	log.Info("tunnel stopped")
	return 0
}

// checkFlags reports a usage error: a missing or unknown mode, stray
// arguments, transport flags that do not fit, TLS server flags on the
// client or client flags on the server.
func checkFlags(mode string, tf *transports.Flags, nargs int) error {
	switch {
	case mode != "server" && mode != "client":
		return errors.New("-mode must be server or client")
	case nargs > 0:
		return errors.New("no arguments expected beyond the flags")
	}
	if err := tf.Validate(); err != nil {
		return err
	}
	switch {
	case mode == "server" && (tf.Pin != "" || tf.Insecure):
		return errors.New("-pin and -insecure are for the client; the server takes -cert and -key")
	case mode == "client" && tf.Cert != "":
		return errors.New("-cert and -key are for the server; the client takes -pin or -insecure")
	}
	return nil
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
		log.Info("tls certificate ready; start the client with -pin", "pin", tl.Fingerprint())
	}
	s := &tunnel.Server{Tunnels: tunnels, Public: pub, Logger: log, DrainTimeout: drain}
	return s.Serve(ctx)
}
