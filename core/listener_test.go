package core_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// http.Server.Shutdown over a session's Listener view is graceful: the
// request in flight when it starts completes, new streams are refused
// with GoAway, and both sessions end by themselves once the last stream
// has finished.
func TestListenerGracefulHTTPShutdown(t *testing.T) {
	c1, c2 := net.Pipe()
	client, server := startPair(t, c1, c2, nil)
	entered, release := make(chan struct{}), make(chan struct{})
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-release
		}
		io.WriteString(w, "done "+r.URL.Path)
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(server.Listener()) }()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return client.OpenStream(ctx)
	}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: rawTimeout}
	get := func(path string) (string, error) {
		resp, err := hc.Get("http://netmux" + path)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if body, err := get("/fast"); err != nil || body != "done /fast" {
		t.Fatalf("GET /fast = %q, %v", body, err)
	}

	type result struct {
		body string
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		body, err := get("/slow")
		slow <- result{body, err}
	}()
	<-entered
	ctx, cancel := contextFor(rawTimeout)
	defer cancel()
	shutdown := make(chan error, 1)
	go func() { shutdown <- srv.Shutdown(ctx) }()
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve returned %v; want http.ErrServerClosed", err)
	}
	if _, err := server.AcceptStream(ctx); !errors.Is(err, core.ErrListenerClosed) || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("AcceptStream after the listener closed: %v; want ErrListenerClosed", err)
	}
	close(release)
	if r := <-slow; r.err != nil || r.body != "done /slow" {
		t.Fatalf("GET /slow in flight during Shutdown = %q, %v; want it to complete", r.body, r.err)
	}
	// The GoAway went out before the reply: new streams are refused.
	_, err := client.OpenStream(ctx)
	var ga *core.GoAwayError
	if !errors.As(err, &ga) || ga.Code != frame.CodeNormal || !ga.Remote {
		t.Fatalf("OpenStream after the server's listener closed: %v; want the peer's GoAway(Normal)", err)
	}
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, s := range []*core.Session{server, client} {
		select {
		case <-s.Done():
		case <-ctx.Done():
			t.Fatalf("session still running with %d streams after the graceful shutdown", s.NumStreams())
		}
	}
}

// Closing the Listener view resets streams the peer opened that were not
// accepted yet, and a session with nothing open ends at once (after its
// GoAway is written).
func TestRawListenerCloseRefusesBacklog(t *testing.T) {
	p := newRawPeer(t, core.RoleServer, nil)
	p.sendSYN(1, []byte("never accepted"))
	p.ping(1)
	p.sess.Listener().Close()
	// The GoAway is queued first, the resets right after, and the writer
	// may take a batch in between: the two may leave in either order.
	want := map[frame.Header]bool{
		hdr(frame.TypeData, frame.FlagRST, 1, 0):              true,
		hdr(frame.TypeGoAway, 0, 0, uint32(frame.CodeNormal)): true,
	}
	for range len(want) {
		h, payload := p.next()
		if !want[h] || len(payload) != 0 {
			t.Fatalf("session sent %v %q; want the RST of stream 1 and GoAway(Normal), once each", h, clip(payload))
		}
		delete(want, h)
	}
	p.expectEOF()
	if err := p.sess.Err(); !errors.Is(err, core.ErrSessionClosed) {
		t.Fatalf("Err() = %v; want ErrSessionClosed", err)
	}
}
