package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netmux/netmux/examples/internal/transports"
)

// gnet (behind the gnet transport) starts its worker pool's goroutines when
// the package loads; they are there before any test and are no leak.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }

// TestEcho runs the echo server and client in-process over every transport.
func TestEcho(t *testing.T) {
	const in = "one\ntwo\n\nthree, with a longer line than the others"
	const want = in + "\n"
	for _, name := range transports.Names() {
		t.Run(name, func(t *testing.T) {
			ln, err := transports.Listen(name, "127.0.0.1:0", transports.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- serve(ctx, ln, 5*time.Second) }()
			defer func() {
				cancel()
				select {
				case err := <-done:
					if err != nil {
						t.Errorf("serve: %v", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("serve did not return")
				}
			}()

			dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer dcancel()
			sess, err := transports.Dial(dctx, name, ln.Addr().String(), transports.Options{Insecure: true})
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			var out strings.Builder
			if err := echoLines(dctx, sess, strings.NewReader(in), &out); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Fatalf("echoed %q, want %q", out.String(), want)
			}
		})
	}
}
