package core

import (
	"bytes"
	"context"
	"net"
	"testing"

	"github.com/netmux/netmux/core/frame"
)

// manualDriver lets a test call Output itself: Wake does nothing.
type manualDriver struct{}

func (manualDriver) Wake()        {}
func (manualDriver) Close() error { return nil }

// pipePair starts a client and a server session with cfg over net.Pipe,
// both closed (and awaited) when t ends.
func pipePair(t *testing.T, cfg *Config) (client, server *Session) {
	t.Helper()
	c1, c2 := net.Pipe()
	client, err := Client(c1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	server, err = Server(c2, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close(); <-client.Done(); <-server.Done() })
	return client, server
}

// newManualEngine returns a client engine without keepalive whose output
// the test takes with drainOutput; its session is closed when t ends.
func newManualEngine(t *testing.T) (*Engine, *Session) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.KeepAliveInterval = 0
	e, err := NewEngine(manualDriver{}, RoleClient, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Session().Close() })
	return e, e.Session()
}

// drainOutput collects everything the engine hands out, batch by batch.
func drainOutput(e *Engine) []byte {
	var all []byte
	for {
		bufs := e.Output(nil)
		if len(bufs) == 0 {
			return all
		}
		for _, b := range bufs {
			all = append(all, b...)
		}
		e.Written(nil)
	}
}

// A graceful GoAway never overtakes the SYN of a stream opened before it,
// although control frames otherwise go ahead of data: the peer would refuse
// that stream. Control frames queued meanwhile still go first.
func TestGoAwayWaitsForPendingSYN(t *testing.T) {
	e, s := newManualEngine(t)
	if _, err := s.OpenStream(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.tx.goAway()
	s.queueCtrl(frame.Header{Type: frame.TypePing, Length: 7})

	var want []byte
	want = frame.AppendHeader(want, frame.Header{Version: 1, Type: frame.TypePing, Length: 7})
	want = frame.AppendHeader(want, frame.Header{Version: 1, Type: frame.TypeData, Flags: frame.FlagSYN, StreamID: 1})
	want = frame.AppendHeader(want, frame.Header{Version: 1, Type: frame.TypeGoAway})
	if got := drainOutput(e); !bytes.Equal(got, want) {
		t.Fatalf("output %x\nwant   %x (ping, SYN, then GoAway)", got, want)
	}
}
