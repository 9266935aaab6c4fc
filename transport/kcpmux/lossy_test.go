package kcpmux

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/xtaci/lossyconn"
)

// lossy describes a link that drops loss of the packets each way and
// delays the rest by delay.
func lossy(loss float64, delay time.Duration) lossyconn.Config {
	return lossyconn.Config{Delay: delay, RandomLossRate: loss}
}

// newLink returns the two ends of an in-memory packet link that behaves as
// c says each way.
func newLink(t testing.TB, c lossyconn.Config) (a, b *lossyconn.LossyConn) {
	t.Helper()
	// Let KCP's windows, not the simulator's queues, bound what is in
	// flight.
	c.QueueSize = 1 << 16
	c.MaxPendingPackets = 1 << 16
	mk := func(seed int64) *lossyconn.LossyConn {
		c.Seed = seed // fixed, so a failure can be replayed
		lc, err := lossyconn.NewWithConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		return lc
	}
	return mk(1), mk(2)
}

// pairOverLink returns both ends of a session over KCP on an in-memory
// link that behaves as link says.
func pairOverLink(t testing.TB, cfg *Config, link lossyconn.Config) (client, server *core.Session) {
	t.Helper()
	cpc, spc := newLink(t, link)
	ln, err := NewListener(spc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return dialAccept(t, ln, func(ctx context.Context) (*core.Session, error) {
		return DialOver(ctx, cpc, spc.LocalAddr(), cfg)
	})
}

// TestLossyBulk sends 16 streams of 4 MiB at once over a link that loses
// 10% of packets each way and delays the rest 20 ms: every byte must arrive,
// checked by SHA-256 digests the server sends back.
func TestLossyBulk(t *testing.T) {
	t.Parallel() // with TestConformance, after the tests that count goroutines
	const streams = 16
	size := 4 << 20
	if testing.Short() {
		size = 1 << 20
	}
	client, server := pairOverLink(t, testConfig(nil), lossy(0.10, 20*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Server: read each stream to its end, answer with the digest.
	go func() {
		for {
			st, err := server.AcceptStream(ctx)
			if err != nil {
				return
			}
			go func() {
				defer st.Close()
				h := sha256.New()
				if _, err := io.Copy(h, st); err != nil {
					return
				}
				st.Write(h.Sum(nil))
			}()
		}
	}()

	start := time.Now()
	errs := make(chan error, streams)
	for i := range streams {
		go func() { errs <- sendAndVerify(ctx, client, uint64(i), size) }()
	}
	for range streams {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)
	total := streams * size
	t.Logf("%d streams x %d MiB over 10%% loss, 20 ms delay: %v (%.1f MB/s)",
		streams, size>>20, took.Round(time.Millisecond), float64(total)/took.Seconds()/1e6)
}

// sendAndVerify writes size seeded bytes on a new stream, half-closes it
// and checks the digest the server answers with.
func sendAndVerify(ctx context.Context, s *core.Session, seed uint64, size int) error {
	st, err := s.OpenStream(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	data := payload(seed, size)
	if _, err := st.Write(data); err != nil {
		return err
	}
	if err := st.CloseWrite(); err != nil {
		return err
	}
	got, err := io.ReadAll(st)
	if err != nil {
		return err
	}
	if want := digest(data); string(got) != string(want[:]) {
		return fmt.Errorf("stream %d: digest mismatch", seed)
	}
	return nil
}

// TestShutdownDeliversTail: data a Shutdown flushed reaches the peer,
// though the transport closes right after: the KCP connection lingers
// until the peer has acknowledged it, over a lossy link, and over a slow
// one where the last acknowledgements come long after a few retransmission
// timeouts (the linger used to give up then).
func TestShutdownDeliversTail(t *testing.T) {
	links := map[string]lossyconn.Config{
		"lossy": lossy(0.10, 20*time.Millisecond),
		// Acknowledgements queue behind 256 KiB at 512 KiB/s, and a fifth
		// of the packets are lost.
		"slow": {Delay: 5 * time.Millisecond, BandwidthBytesPerSec: 512 << 10, RandomLossRate: 0.2},
	}
	for name, link := range links {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(func(c *Config) { c.Linger = testTimeout })
			client, server := pairOverLink(t, cfg, link)
			shutdownDeliversTail(t, client, server)
		})
	}
}

// shutdownDeliversTail has the server write a window's worth of data and
// its FIN on a stream, then shut down, and checks that the client reads it
// all, then EOF.
func shutdownDeliversTail(t *testing.T, client, server *core.Session) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	a, err := client.OpenStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	b, err := server.AcceptStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(b); err != nil {
		t.Fatal(err)
	}
	last := payload(7, 256<<10) // the initial window: Write need not wait for the reader
	if _, err := b.Write(last); err != nil {
		t.Fatal(err)
	}
	if err := b.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	// Both directions are finished: Shutdown closes the session at once,
	// with most of last still in flight.
	if err := server.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	a.SetReadDeadline(time.Now().Add(testTimeout))
	got, err := io.ReadAll(a)
	if err != nil {
		t.Fatalf("read %d of %d bytes: %v", len(got), len(last), err)
	}
	if digest(got) != digest(last) {
		t.Fatal("tail corrupted")
	}
}
