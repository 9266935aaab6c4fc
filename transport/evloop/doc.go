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
// does the same. Each also runs one writer goroutine per event loop and one
// that waits for room in full sockets, all shared by its connections (see
// below). Sessions are ordinary *core.Session values: streams,
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
// (default one full frame), Config.AcceptBacklog the sessions a Listener
// holds for Accept (default 4096) and Config.Logger where gnet's own
// diagnostics go.
//
// # How a connection is driven
//
// Inbound, in gnet's OnTraffic: the bytes read are peeked, handed to the
// session engine (which copies payload into the streams' buffers and never
// blocks: flow control bounds what a peer may send), and discarded from
// gnet at once; an incomplete frame header is kept aside (at most 11
// bytes).
//
// Outbound, the session's queued frames go straight to the socket, one
// vectored write per batch, from whichever goroutine has the work; gnet's
// outbound and task queues, which copy every byte and allocate on every
// write and every hand-off, are not on the data path:
//
//   - On a session with at most one stream, a write that answers input (a
//     reply, or the next request after a reply) is written at once by the
//     goroutine that queued it: Stream.Write calls the engine's Wake,
//     which takes the queued frames and writes them.
//   - Its other writes (an open, writes back to back) are handed to a
//     writer goroutine through a channel: no system call, and the runtime
//     usually runs the writer once the caller blocks, so an open, its data
//     and its FIN, or many small writes, leave in one write.
//   - A session with more streams is written by its event loop, woken
//     through gnet's task queue once per batch (two allocations): the loop
//     takes a while to wake, and meanwhile the other streams' writes join
//     the batch. What feeding the session queued (window updates, ping
//     replies) the loop writes right after feeding.
//
// When the socket does not take a whole batch, the driver keeps the rest
// (no copy: the session's buffers are held until written) and the goroutine
// waiting in epoll (kqueue on BSD) for the socket to have room writes the
// rest and what was queued meanwhile. Output is thus bounded by the
// session's MaxSendBuffer, where Write waits. An established session with
// one stream allocates nothing per round trip or per MiB moved; a busier
// one allocates only when it wakes its loop (about 0.3 times per round
// trip with 64 streams).
//
// A socket that takes nothing at all for the session's WriteTimeout while
// bytes wait means the peer stopped reading; the session then ends with an
// error saying so. Before deciding, the driver tries a write itself: the
// kernel reports room only once a large part of the socket's buffer is
// free, which a slow but steady reader may take many seconds to free. A
// slow reader thus keeps its session as long as the socket takes some
// bytes in every WriteTimeout, which over TCP means its window reopening,
// about every half receive buffer it reads.
//
// Closing waits for the last bytes to be written, half-closes the socket
// so that the peer reads everything up to the GoAway, and closes once the
// peer has closed its side, all within WriteTimeout. Once the session has
// ended, whether closed or failed on a peer's protocol error, what still
// arrives is read and dropped, up to 1 MiB: a peer that keeps sending past
// that is cut off at once.
//
// Keepalive and deadlines run on timers, as with the goroutine driver.
//
// The event loops block in epoll_wait (kqueue on BSD) outside the Go
// scheduler's network poller, so on a machine whose CPUs are saturated an
// event loop may wait for a processor longer than a goroutine woken by the
// runtime would; round-trip times, and windows auto-tuned from them, show
// it. A loop blocked in epoll_wait also keeps its processor: in about 1
// hand-off of 61 a Read it woke waits 150-200 µs for the runtime to take
// that processor back, which sets netmux-gnet's single-stream p99 (see
// docs/architecture.md); use the goroutine driver where that matters.
// The package needs a Unix system (gnet's event loops and
// golang.org/x/sys/unix).
package evloop
