// Command demo shows the reverse tunnel at work, on loopback only: it starts
// an HTTP file server as the private service, a tunnel server and a tunnel
// client in-process, then downloads files through the tunnel's public port
// with many concurrent HTTP clients, checks the SHA-256 of every download,
// and reports throughput and latency. It exits non-zero on any error or
// mismatch.
//
//	go run ./examples/demo                       # every transport, one after another
//	go run ./examples/demo -transport tls -workers 64 -requests 1000
//
// Each download is a new TCP connection to the public port, so a new
// stream on the tunnel session (-keepalive reuses connections instead).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/netmux/netmux/examples/internal/transports"
)

func main() {
	transport := flag.String("transport", "all", "transport to run over: all, or a comma-separated list of "+strings.Join(transports.Names(), ", "))
	workers := flag.Int("workers", 32, "concurrent downloads")
	requests := flag.Int("requests", 200, "downloads per transport")
	sizes := flag.String("sizes", "64KiB,256KiB,1MiB,8MiB", "sizes of the files served, downloaded round robin")
	keepAlive := flag.Bool("keepalive", false, "reuse HTTP connections (streams) between downloads")
	verbose := flag.Bool("v", false, "log tunnel events")
	flag.Parse()

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	names := transports.Names()
	if *transport != "all" {
		names = strings.Split(*transport, ",")
	}
	fileSizes, err := parseSizes(*sizes)
	if err != nil || *workers < 1 || *requests < 1 || len(fileSizes) == 0 {
		fmt.Fprintf(os.Stderr, "demo: need -workers >= 1, -requests >= 1 and valid -sizes (%v)\n", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	files := makeFiles(fileSizes)
	fmt.Printf("netmux reverse-tunnel demo: %d downloads of %s per transport, %d at a time, over %s\n",
		*requests, *sizes, *workers, strings.Join(names, ", "))
	var results []summary
	for _, name := range names {
		l := load{files: files, workers: *workers, requests: *requests, keepAlive: *keepAlive}
		results = append(results, runOne(ctx, name, l, os.Stdout, isTerminal(os.Stdout), log))
		if ctx.Err() != nil {
			break
		}
	}
	printTable(os.Stdout, results)
	for _, r := range results {
		if r.err != nil {
			os.Exit(1)
		}
	}
	if ctx.Err() != nil {
		os.Exit(1)
	}
}

// summary is one transport's outcome.
type summary struct {
	transport string
	res       result
	err       error
}

// runOne runs the whole demo over one transport and reports on out.
func runOne(ctx context.Context, transport string, l load, out io.Writer, tty bool, log *slog.Logger) summary {
	s := summary{transport: transport}
	r, err := startRig(ctx, transport, l.files, log)
	if err != nil {
		s.err = err
		fmt.Fprintf(out, "%-5s failed to start: %v\n", transport, err)
		return s
	}
	l.url = "http://" + r.public
	p := newProgress(out, tty, fmt.Sprintf("%-5s", transport), l.requests)
	s.res = l.run(ctx, p.add)
	p.finish()
	closeErr := r.close()
	for i, err := range s.res.failures {
		if i == 5 {
			fmt.Fprintf(out, "  ... and %d more failures\n", len(s.res.failures)-i)
			break
		}
		fmt.Fprintf(out, "  FAIL %v\n", err)
	}
	switch {
	case len(s.res.failures) > 0:
		s.err = fmt.Errorf("%d of %d downloads failed", len(s.res.failures), s.res.requests)
	case s.res.requests < l.requests:
		s.err = fmt.Errorf("interrupted after %d of %d downloads", s.res.requests, l.requests)
	}
	if closeErr != nil {
		fmt.Fprintf(out, "  FAIL stopping the tunnel: %v\n", closeErr)
		s.err = errors.Join(s.err, closeErr)
	}
	return s
}

// printTable prints the report: one row per transport.
func printTable(out io.Writer, results []summary) {
	fmt.Fprintf(out, "\n%-9s %8s %9s %8s %9s %9s  %s\n", "transport", "requests", "MB", "MB/s", "p50", "p99", "result")
	for _, s := range results {
		r := s.res
		verdict := "ok, every byte verified"
		if s.err != nil {
			verdict = "FAILED: " + s.err.Error()
		}
		mbps := 0.0
		if r.elapsed > 0 {
			mbps = float64(r.bytes) / 1e6 / r.elapsed.Seconds()
		}
		fmt.Fprintf(out, "%-9s %8d %9.1f %8.1f %9s %9s  %s\n", s.transport, r.requests, float64(r.bytes)/1e6, mbps,
			short(percentile(r.latencies, 50)), short(percentile(r.latencies, 99)), verdict)
	}
}

// short rounds d to about four significant digits.
func short(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}
