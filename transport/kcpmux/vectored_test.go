package kcpmux

import (
	"context"
	"io"
	"sync/atomic"
	"testing"

	"github.com/netmux/netmux/core"
)

// The driver hands a conn's batches to WriteBuffers, which kcp-go's
// UDPSession has and conn keeps.
var _ interface{ WriteBuffers([][]byte) (int, error) } = (*conn)(nil)

// countingConn is the conn Dial gives the driver, with its writes counted.
type countingConn struct {
	*conn
	vectored, single atomic.Int64
}

func (c *countingConn) WriteBuffers(v [][]byte) (int, error) {
	c.vectored.Add(1)
	return c.conn.WriteBuffers(v)
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.single.Add(1)
	return c.conn.Write(p)
}

// TestVectoredWrites: with many streams writing at once, the session's
// driver writes its batches of frames with one WriteBuffers call each
// rather than copying them into one buffer for Write.
func TestVectoredWrites(t *testing.T) {
	st, err := resolve(testConfig(nil))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen("127.0.0.1:0", &st.Config)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var cc *countingConn
	client, server := dialAccept(t, ln, func(ctx context.Context) (*core.Session, error) {
		raw, err := st.dial(ctx, ln.Addr().String())
		if err != nil {
			return nil, err
		}
		cc = &countingConn{conn: st.conn(raw)}
		client, err := core.Client(cc, st.Mux)
		if err != nil {
			raw.Close()
			return nil, err
		}
		// Its first frame makes the server side appear.
		if _, err := client.Ping(ctx); err != nil {
			client.Close()
			return nil, err
		}
		return client, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	const streams, writes, size = 8, 200, 1024
	received := make(chan int64, streams)
	go func() {
		for range streams {
			s, err := server.AcceptStream(ctx)
			if err != nil {
				return
			}
			go func() {
				defer s.Close()
				n, _ := io.Copy(io.Discard, s)
				received <- n
			}()
		}
	}()
	for i := range streams {
		go func() {
			s, err := client.OpenStream(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			p := payload(uint64(i), size)
			for range writes {
				if _, err := s.Write(p); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	// Everything written has been through the driver once the server has
	// read every stream to its end.
	for range streams {
		select {
		case n := <-received:
			if n != writes*size {
				t.Fatalf("server read %d bytes of a stream; want %d", n, writes*size)
			}
		case <-ctx.Done():
			t.Fatal("streams not received")
		}
	}
	if cc.vectored.Load() == 0 {
		t.Fatalf("no vectored writes (%d single writes)", cc.single.Load())
	}
	t.Logf("%d vectored writes, %d single", cc.vectored.Load(), cc.single.Load())
}
