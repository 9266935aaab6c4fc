package core_test

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
)

// TestShutdownFlushesRacingReply: a reply written and closed while
// Shutdown is draining reaches the peer before the transport closes. A
// write batch completing at that moment used to pair a stale "nothing
// queued" with "session ended" and close the transport under the reply and
// its FIN. The window is narrow, so the exchange is repeated.
func TestShutdownFlushesRacingReply(t *testing.T) {
	cfg := core.DefaultConfig()
	cfg.KeepAliveInterval = 0 // only the exchange's own frames on the wire
	for i := range 200 {
		c1, c2 := net.Pipe()
		client, err := core.Client(c1, cfg)
		if err != nil {
			t.Fatal(err)
		}
		server, err := core.Server(c2, cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := contextFor(rawTimeout)
		st, err := client.OpenStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		write(t, st, "request")
		st.CloseWrite()
		sst, err := server.AcceptStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		shut := make(chan error, 1)
		go func() { shut <- server.Shutdown(ctx) }()
		go func() {
			defer sst.Close()
			io.ReadAll(sst)
			sst.Write([]byte("reply"))
		}()
		st.SetReadDeadline(time.Now().Add(rawTimeout))
		reply, err := io.ReadAll(st)
		if err := <-shut; err != nil {
			t.Errorf("round %d: Shutdown: %v", i, err)
		}
		client.Close()
		cancel()
		if err != nil || string(reply) != "reply" {
			t.Fatalf("round %d: client read %q, %v; want the reply, then EOF", i, reply, err)
		}
	}
}
