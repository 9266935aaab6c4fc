// Command echo is the smallest netmux program: a server that echoes every
// stream, and a client that sends each line of its input on a stream of its
// own and prints the reply.
//
//	go run ./examples/echo -mode server
//	printf 'one\ntwo\n' | go run ./examples/echo -mode client
//
// Both take -addr (default 127.0.0.1:7000) and -transport (tcp, tls, ...).
// The TLS server prints its certificate's fingerprint; pass it to the client
// as -pin, or use -insecure. With -cert and -key the server keeps its
// certificate in those files, so the pin stays the same across restarts.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/netmux/netmux/examples/internal/transports"
)

func main() {
	mode := flag.String("mode", "", "server or client")
	addr := flag.String("addr", "127.0.0.1:7000", "address to listen on (server) or dial (client)")
	tf := transports.AddFlags(flag.CommandLine)
	flag.Parse()
	if err := tf.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		flag.Usage()
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	var err error
	switch *mode {
	case "server":
		// SIGINT or SIGTERM shuts down gracefully; a second one kills.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		context.AfterFunc(ctx, stop)
		err = runServer(ctx, log, tf, *addr)
	case "client":
		err = runClient(tf, *addr)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		log.Error("echo failed", "err", err)
		os.Exit(1)
	}
}

func runServer(ctx context.Context, log *slog.Logger, tf *transports.Flags, addr string) error {
	ln, err := transports.Listen(tf.Transport, addr, tf.Options(nil))
	if err != nil {
		return err
	}
	log.Info("echo server listening", "addr", ln.Addr(), "transport", tf.Transport)
	if tl, ok := ln.(*transports.TLSListener); ok {
		log.Info("tls certificate ready", "pin", tl.Fingerprint())
	}
	return serve(ctx, ln, 5*time.Second)
}

func runClient(tf *transports.Flags, addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	sess, err := transports.Dial(ctx, tf.Transport, addr, tf.Options(nil))
	cancel()
	if err != nil {
		return err
	}
	defer sess.Close()
	return echoLines(context.Background(), sess, os.Stdin, os.Stdout)
}
