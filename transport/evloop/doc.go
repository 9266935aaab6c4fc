// Package evloop runs netmux sessions on gnet event loops
// (github.com/panjf2000/gnet/v2): no goroutine per connection, per session
// or per stream. A handful of event-loop goroutines serve every connection,
// so 10,000 idle sessions cost memory, not goroutines.
//
// The package is named evloop, not gnet, so that programs can import it
// next to gnet itself.
//
// # Server and client
//
//	ln, err := evloop.Listen("127.0.0.1:7000", nil) // or "tcp://…", "unix:///path"
//	defer ln.Close()
//	for {
//		sess, err := ln.Accept() // a *core.Session, server side
//		...
//	}
//
//	cl, err := evloop.NewClient(nil) // starts the client event loops
//	defer cl.Close()                 // closes its sessions, stops the loops
//	sess, err := cl.Dial(ctx, "127.0.0.1:7000")
//
// A Listener accepts on one goroutine of its own and hands each connection
// to its event loops; a Client's Dial connects on the calling goroutine and
// does the same. Sessions are ordinary *core.Session values: streams,
// deadlines, keepalive, GoAway and Shutdown behave as with core.Client and
// core.Server, and either side interoperates with a peer using the
// goroutine driver or any other net-mux v1 implementation. Listener.Close
// and Client.Close close every session they made, stop the event loops and
// return once those have exited.
//
// # Configuration
//
// The zero value of a Config field is not its default: start from
// DefaultConfig and change what you need. A nil *Config means
// DefaultConfig(). Config.Session configures every session (nil means
// core.DefaultConfig()). Config.EventLoops sets the number of event loops
// (default one per CPU), Config.ReadBufferCap each loop's read buffer
// (default one full frame), Config.MaxOutboundBuffer how many bytes one
// connection may queue in gnet before the driver holds frames back
// (default 256 KiB), Config.AcceptBacklog the sessions a Listener holds
// for Accept (default 4096) and Config.Logger where gnet's own diagnostics
// go.
//
// # How a connection is driven
//
// Inbound, in gnet's OnTraffic: the bytes read are peeked, handed to the
// session engine (which copies payload into the streams' buffers and never
// blocks: flow control bounds what a peer may send), and discarded from
// gnet at once; an incomplete frame header is kept aside (at most 11
// bytes). Outbound: the engine's Wake schedules OnTraffic on the
// connection's loop (gnet's Conn.Wake); there every pending batch of frames
// goes out with one vectored write (Conn.Writev), whatever the socket does
// not take at once being copied into gnet's outbound queue.
//
// gnet cannot stop reading a connection and never bounds its outbound
// queue, so the driver does: past MaxOutboundBuffer queued bytes it stops
// taking frames from the session, which keeps control frames ahead of data
// and makes Write wait at the session's MaxSendBuffer, and looks again on a
// short timer or when bytes arrive. Each look has gnet write whatever the
// socket takes (gnet by itself waits until the socket has freed a large
// part of its buffer, which a slow reader may take many seconds to do), so
// whatever the peer takes shows as the queue shrinking. A queue that does
// not shrink at all for the session's WriteTimeout means the peer stopped
// reading; the session then ends with an error saying so. A slow reader
// keeps its session as long as the socket takes some bytes in every
// WriteTimeout, which over TCP means its window reopening, about every
// half receive buffer it reads.
//
// Closing waits for gnet's queue to drain (gnet's own Close would drop
// it), half-closes the socket so that the peer reads everything up to the
// GoAway, and closes once the peer has closed its side, all within
// WriteTimeout. Once the session has ended, whether closed or failed on a
// peer's protocol error, what still arrives is read and dropped, up to
// 1 MiB: a peer that keeps sending past that is cut off at once.
//
// Keepalive and deadlines run on timers, as with the goroutine driver.
//
// The event loops block in epoll_wait (kqueue on BSD) outside the Go
// scheduler's network poller, so on a machine whose CPUs are saturated an
// event loop may wait for a processor longer than a goroutine woken by the
// runtime would; round-trip times, and windows auto-tuned from them, show
// it. The package needs a Unix system (gnet's event loops and
// golang.org/x/sys/unix).
package evloop
