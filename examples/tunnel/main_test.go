package main

import (
	"context"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// gnet (behind the gnet transport) starts its worker pool's goroutines when
// the package loads; they are there before any test and are no leak.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }

// testTimeout bounds every wait in these tests.
const testTimeout = 20 * time.Second

// Bad flags are usage errors: the program says what is wrong, prints its
// usage and exits with status 2 at once, without trying to connect.
func TestUsageErrors(t *testing.T) {
	pin := strings.Repeat("ab", 32)
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"-mode", "client", "-transport", "quic"}, `unknown transport "quic"`},
		{[]string{"-mode", "client", "-transport", "tls", "-pin", "abc"}, `pin "abc" is not a hex SHA-256`},
		{[]string{"-mode", "client", "-pin", pin}, "apply to -transport tls only"},
		{[]string{"-mode", "server", "-transport", "tls", "-cert", "c.pem"}, "-cert and -key go together"},
		{[]string{"-mode", "server", "-transport", "tls", "-pin", pin}, "-pin and -insecure are for the client"},
		{[]string{"-mode", "client", "-transport", "tls", "-cert", "c.pem", "-key", "k.pem"}, "-cert and -key are for the server"},
		{[]string{"-mode", "proxy"}, "-mode must be server or client"},
		{[]string{"-mode", "client", "extra"}, "no arguments expected"},
		{[]string{"-no-such-flag"}, "flag provided but not defined"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var out logBuf
			if code := runBounded(t, c.args, &out); code != 2 {
				t.Fatalf("exit status %d; want 2\n%s", code, out.String())
			}
			if !strings.Contains(out.String(), c.says) || !strings.Contains(out.String(), "Usage: tunnel") {
				t.Fatalf("output %q; want it to say %q, then the usage", out.String(), c.says)
			}
		})
	}
}

// -h explains the flags, including that a service must listen on -local.
func TestHelp(t *testing.T) {
	var out logBuf
	if code := runBounded(t, []string{"-h"}, &out); code != 0 {
		t.Fatalf("exit status %d; want 0", code)
	}
	for _, want := range []string{"A service must already be\nlistening on -local", "-local", "-cert", "-key", "-pin"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("help %q does not mention %q", out.String(), want)
		}
	}
}

// A normal shutdown, the client's and then the server's (SIGINT, which
// cancels run's context), logs nothing that looks like an error, and both
// exit with status 0.
func TestShutdownLogsNoError(t *testing.T) {
	svc := startEcho(t)
	srv := start(t, "-mode", "server", "-tunnel", "127.0.0.1:0", "-public", "127.0.0.1:0")
	tunnelAddr, publicAddr := srv.addrs(t)
	cli := start(t, "-mode", "client", "-tunnel", tunnelAddr, "-local", svc)
	cli.log.await(t, "tunnel connected", 1)
	request(t, publicAddr)
	cli.stop(t)
	srv.log.await(t, "tunnel client gone", 1)
	srv.stop(t)
	for _, p := range []*prog{srv, cli} {
		for _, line := range p.log.lines() {
			if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") || strings.Contains(line, "err=") {
				t.Errorf("%s logged %q at a normal shutdown", p.name, line)
			}
		}
	}
}

// With -cert and -key the TLS server creates its certificate once and
// serves the same one after a restart: the client, pinned to it, reconnects
// and the tunnel works again.
func TestTLSPinSurvivesRestart(t *testing.T) {
	svc := startEcho(t)
	dir := t.TempDir()
	tlsArgs := []string{"-transport", "tls", "-cert", dir + "/tunnel.crt", "-key", dir + "/tunnel.key"}
	srv := start(t, append([]string{"-mode", "server", "-tunnel", "127.0.0.1:0", "-public", "127.0.0.1:0"}, tlsArgs...)...)
	tunnelAddr, publicAddr := srv.addrs(t)
	pin := srv.pin(t)
	cli := start(t, "-mode", "client", "-tunnel", tunnelAddr, "-local", svc, "-transport", "tls", "-pin", pin)
	cli.log.await(t, "tunnel connected", 1)
	request(t, publicAddr)

	srv.stop(t)
	srv = start(t, append([]string{"-mode", "server", "-tunnel", tunnelAddr, "-public", publicAddr}, tlsArgs...)...)
	if again := srv.pin(t); again != pin {
		t.Fatalf("pin after restart %s; want %s", again, pin)
	}
	cli.log.await(t, "tunnel connected", 2)
	request(t, publicAddr)
	cli.stop(t)
	srv.stop(t)

	// A key without its certificate is an error, not a new pair.
	if err := os.Remove(dir + "/tunnel.crt"); err != nil {
		t.Fatal(err)
	}
	var out logBuf
	if code := runBounded(t, append([]string{"-mode", "server", "-tunnel", "127.0.0.1:0", "-public", "127.0.0.1:0"}, tlsArgs...), &out); code != 1 {
		t.Fatalf("server with a key and no certificate: exit status %d; want 1\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "only one of") {
		t.Fatalf("server with a key and no certificate said %q", out.String())
	}
}

// prog is the program running in-process, as a test starts it.
type prog struct {
	name   string
	log    *logBuf
	cancel context.CancelFunc
	exit   chan int
}

// start runs the program with args until stop (or the end of the test).
func start(t *testing.T, args ...string) *prog {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &prog{name: args[1], log: &logBuf{}, cancel: cancel, exit: make(chan int, 1)}
	go func() { p.exit <- run(ctx, args, p.log) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop cancels the program's context, as SIGINT does, and checks that it
// exits with status 0; stopping twice is harmless.
func (p *prog) stop(t *testing.T) {
	t.Helper()
	p.cancel()
	select {
	case code, ok := <-p.exit:
		if ok {
			close(p.exit)
			if code != 0 {
				t.Errorf("%s exited with status %d\n%s", p.name, code, p.log.String())
			}
		}
	case <-time.After(testTimeout):
		t.Fatalf("%s did not exit within %v of its shutdown", p.name, testTimeout)
	}
}

var listening = regexp.MustCompile(` tunnel=(\S+) .* public=(\S+)`)

// addrs waits for the server to listen and returns its tunnel and public
// addresses.
func (p *prog) addrs(t *testing.T) (tunnel, public string) {
	t.Helper()
	m := listening.FindStringSubmatch(p.log.await(t, "tunnel server listening", 1))
	if m == nil {
		t.Fatalf("no addresses in the server's log:\n%s", p.log.String())
	}
	return m[1], m[2]
}

var pinned = regexp.MustCompile(`pin=([0-9a-f]{64})`)

// pin waits for the TLS server to log its certificate's pin.
func (p *prog) pin(t *testing.T) string {
	t.Helper()
	m := pinned.FindStringSubmatch(p.log.await(t, "pin=", 1))
	if m == nil {
		t.Fatalf("no pin in the server's log:\n%s", p.log.String())
	}
	return m[1]
}

// runBounded runs the program with args, which must end on its own, and
// returns its exit status.
func runBounded(t *testing.T, args []string, out io.Writer) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	exit := make(chan int, 1)
	go func() { exit <- run(ctx, args, out) }()
	select {
	case code := <-exit:
		return code
	case <-time.After(testTimeout):
		cancel()
		<-exit
		t.Fatalf("run %q still running after %v", args, testTimeout)
		return 0
	}
}

// startEcho starts a TCP service on 127.0.0.1 that echoes each connection
// and returns its address; it stops at cleanup.
func startEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				io.Copy(c, c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// request sends a line through the tunnel's public port and checks that
// the echo service's answer comes back.
func request(t *testing.T, public string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", public, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	if _, err := c.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "hello\n" {
		t.Fatalf("through the tunnel: %q, %v; want the echo", got, err)
	}
}

// logBuf collects a program's output and lets a test wait for a line.
type logBuf struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{} // signalled after each write; made on first use
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.b.Write(p)
	ch := l.changedLocked()
	l.mu.Unlock()
	select {
	case ch <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (l *logBuf) changedLocked() chan struct{} {
	if l.changed == nil {
		l.changed = make(chan struct{}, 1)
	}
	return l.changed
}

// String returns everything written so far.
func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the complete lines written so far.
func (l *logBuf) lines() []string {
	s := l.String()
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return strings.Split(s[:i], "\n")
	}
	return nil
}

// await waits until the n-th line containing s has been written and
// returns it.
func (l *logBuf) await(t *testing.T, s string, n int) string {
	t.Helper()
	deadline := time.NewTimer(testTimeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		ch := l.changedLocked()
		l.mu.Unlock()
		seen := 0
		for _, line := range l.lines() {
			if strings.Contains(line, s) {
				if seen++; seen == n {
					return line
				}
			}
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("no line %d with %q within %v in:\n%s", n, s, testTimeout, l.String())
		}
	}
}
