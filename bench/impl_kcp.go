package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netmux/netmux/transport/kcpmux"
	"github.com/xtaci/smux"
)

// KCP implementations: both ends talk KCP over loopback UDP with
// kcpmux.DefaultConfig() (kcptun's tuning: stream mode, no write delay, the
// fast3 profile, 1024-packet windows, MTU 1350, 4 MiB socket buffers, no
// FEC, no cipher). Every pair has its own listener, whose UDP socket the
// server end shares and closes.

// netmuxKCPPair builds a netmux pair over KCP: kcpmux.Dial and a Listener,
// with kcpmux.DefaultMuxConfig() and MaxStreams raised as for netmux.
func netmuxKCPPair(o options) (session, session, error) {
	cfg := kcpmux.DefaultConfig()
	cfg.Mux = kcpmux.DefaultMuxConfig()
	cfg.Mux.MaxStreams = max(cfg.Mux.MaxStreams, o.streams)
	ln, err := kcpmux.Listen("127.0.0.1:0", cfg)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	// The server's KCP connection appears with the client's first packet,
	// a ping, and Dial returns once the server session has answered it: it
	// must be accepted meanwhile.
	accepted := make(chan error, 1)
	var server session
	go func() {
		s, err := ln.AcceptSession(ctx)
		server = s
		accepted <- err
	}()
	client, err := kcpmux.Dial(ctx, ln.Addr().String(), cfg)
	if err != nil {
		cancel() // ends the AcceptSession
	}
	if aerr := <-accepted; err == nil {
		err = aerr
	}
	if err != nil {
		if client != nil {
			client.Close()
		}
		ln.Close() // ends the server session too
		return nil, nil, err
	}
	return client, &withListener{server, ln}, nil
}

// smuxKCPPair builds an xtaci/smux pair over the same KCP connections:
// kcptun's stack, with kcptun's smux settings (protocol 2, 4 MiB session
// and 2 MiB stream buffers, 8 KiB frames, keepalive every 10 s) and without
// its optional compression.
func smuxKCPPair(options) (session, session, error) {
	cfg := kcpmux.DefaultConfig()
	sc := smux.DefaultConfig()
	sc.Version = 2
	sc.MaxReceiveBuffer = 4 << 20
	sc.MaxStreamBuffer = 2 << 20
	sc.MaxFrameSize = 8 << 10
	sc.KeepAliveInterval = 10 * time.Second
	ln, err := kcpmux.ListenConn("127.0.0.1:0", cfg)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	cc, err := kcpmux.DialConn(ctx, ln.Addr().String(), cfg)
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	client, err := smux.Client(cc, sc)
	if err != nil {
		cc.Close()
		ln.Close()
		return nil, nil, err
	}
	// smux sends nothing until a stream opens: open one for the server's
	// KCP connection to appear, and have the server accept it.
	server, err := smuxKCPServer(ctx, ln, client, sc)
	if err != nil {
		client.Close()
		ln.Close()
		return nil, nil, err
	}
	return smuxSession{client}, &withListener{smuxSession{server}, ln}, nil
}

// smuxKCPServer accepts client's connection on ln as an smux server, with
// the help of a first stream that both ends then close.
func smuxKCPServer(ctx context.Context, ln *kcpmux.ConnListener, client *smux.Session, sc *smux.Config) (*smux.Session, error) {
	first, err := client.OpenStream()
	if err != nil {
		return nil, err
	}
	defer first.Close()
	sconn, err := ln.AcceptConn(ctx)
	if err != nil {
		return nil, err
	}
	server, err := smux.Server(sconn, sc)
	if err != nil {
		sconn.Close()
		return nil, err
	}
	accepted := make(chan error, 1)
	go func() {
		st, err := server.AcceptStream()
		if err == nil {
			st.Close()
		}
		accepted <- err
	}()
	select {
	case err = <-accepted:
	case <-ctx.Done():
		err = fmt.Errorf("smux-kcp: first stream not accepted: %w", ctx.Err())
	}
	if err != nil {
		server.Close() // ends the AcceptStream too
		return nil, err
	}
	return server, nil
}

// withListener is a server end that owns the listener it came from: the
// listener's UDP socket carries the end's KCP connection, so it closes
// after the end.
type withListener struct {
	session
	ln interface{ Close() error }
}

// Close closes the session, then its listener.
func (w *withListener) Close() error {
	return errors.Join(w.session.Close(), w.ln.Close())
}
