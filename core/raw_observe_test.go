package core_test

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// logRecorder is a slog.Handler that keeps every record it is given.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.records = append(r.records, rec.Clone())
	r.mu.Unlock()
	return nil
}

// logged returns the records with message msg, each as its level and
// attributes.
func (r *logRecorder) logged(msg string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.records {
		if rec.Message != msg {
			continue
		}
		s := rec.Level.String()
		rec.Attrs(func(a slog.Attr) bool {
			s += " " + a.String()
			return true
		})
		out = append(out, s)
	}
	return out
}

// withLogger makes the session log to r.
func withLogger(r *logRecorder, tune func(*core.Config)) func(*core.Config) {
	return func(c *core.Config) {
		c.Logger = slog.New(r)
		if tune != nil {
			tune(c)
		}
	}
}

// Refused SYNs are counted in Stats and logged with the stream id and the
// reason: at Warn for a limit, at Info once the session is going away.
func TestRawRefusedLoggedAndCounted(t *testing.T) {
	var rec logRecorder
	p := newRawPeer(t, core.RoleServer, withLogger(&rec, func(c *core.Config) {
		c.MaxStreams = 2
		c.AcceptBacklog = 1
	}))
	p.sendSYN(1, nil)
	p.sendSYN(3, nil) // the backlog holds stream 1
	p.expect(hdr(frame.TypeData, frame.FlagRST, 3, 0), nil)
	p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 1, 0), nil)
	p.sendSYN(5, nil)
	p.accept()
	p.expect(hdr(frame.TypeData, frame.FlagACK, 5, 0), nil)
	p.sendSYN(7, nil) // two streams open
	p.expect(hdr(frame.TypeData, frame.FlagRST, 7, 0), nil)
	p.send(hdr(frame.TypeGoAway, 0, 0, uint32(frame.CodeNormal)), nil)
	p.sendSYN(9, nil)
	p.expect(hdr(frame.TypeData, frame.FlagRST, 9, 0), nil)

	if got := p.sess.Stats().StreamsRefused; got != 3 {
		t.Fatalf("Stats().StreamsRefused = %d; want 3", got)
	}
	want := []string{
		"WARN stream=3 reason=AcceptBacklog full",
		"WARN stream=7 reason=MaxStreams reached",
		"INFO stream=9 reason=GoAway sent or received",
	}
	if got := rec.logged("netmux refused a stream"); !slices.Equal(got, want) {
		t.Fatalf("logged %q; want %q", got, want)
	}
}

// A peer flooding SYNs past the limits gets every one refused and counted,
// but does not flood the log: at most ten lines a second.
func TestRawRefusedFloodLogBounded(t *testing.T) {
	var rec logRecorder
	p := newRawPeer(t, core.RoleServer, withLogger(&rec, func(c *core.Config) {
		c.MaxStreams = 1
		c.AcceptBacklog = 1
	}))
	start := time.Now()
	p.sendSYN(1, nil) // held in the backlog: every later SYN is refused
	const flood = 200
	for i := range flood {
		id := uint32(3 + 2*i)
		p.sendSYN(id, nil)
		p.expect(hdr(frame.TypeData, frame.FlagRST, id, 0), nil)
	}
	seconds := int(time.Since(start)/time.Second) + 1
	if got := p.sess.Stats().StreamsRefused; got != flood {
		t.Fatalf("Stats().StreamsRefused = %d; want %d", got, flood)
	}
	lines := rec.logged("netmux refused a stream")
	if len(lines) == 0 || len(lines) > 10*seconds {
		t.Fatalf("%d refusals logged in %d lines over %d s; want 1 to %d", flood, len(lines), seconds, 10*seconds)
	}
}

// A keepalive timeout is counted in Stats, before Done is closed, and
// logged as such, not as a protocol violation.
func TestRawKeepAliveTimeoutLoggedAndCounted(t *testing.T) {
	var rec logRecorder
	p := newRawPeer(t, core.RoleClient, withLogger(&rec, keepAliveConfig))
	if got := p.sess.Stats().KeepAliveTimeouts; got != 0 {
		t.Fatalf("Stats().KeepAliveTimeouts = %d at start", got)
	}
	for {
		h, _ := p.next()
		if h.Type == frame.TypeGoAway {
			break
		}
	}
	select {
	case <-p.sess.Done():
	case <-time.After(rawTimeout):
		t.Fatal("session still running after its GoAway(Timeout)")
	}
	expectGoAwayErr(t, p.sess.Err(), frame.CodeTimeout, false)
	if got := p.sess.Stats().KeepAliveTimeouts; got != 1 {
		t.Fatalf("Stats().KeepAliveTimeouts = %d; want 1", got)
	}
	want := []string{"WARN timeout=50ms"}
	if got := rec.logged("netmux keepalive timeout: no frame from the peer"); !slices.Equal(got, want) {
		t.Fatalf("logged %q; want %q", got, want)
	}
	if got := rec.logged("netmux protocol violation"); len(got) != 0 {
		t.Fatalf("a keepalive timeout logged as a protocol violation: %q", got)
	}
}
