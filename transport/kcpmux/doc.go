// Package kcpmux carries netmux sessions over KCP (github.com/xtaci/kcp-go/v5),
// a reliable ARQ protocol on UDP that trades bandwidth for latency on lossy,
// long links, with the tuning that kcptun users otherwise learn by trial:
// stream mode, no write delay, a no-delay retransmission profile, large
// windows, a safe MTU, big socket buffers, and optional forward error
// correction and encryption.
//
// Dial and Listen return *core.Session values driven by core's goroutine
// driver, which writes each batch of frames with the UDPSession's vectored
// WriteBuffers. DialConn and ListenConn give the tuned KCP connections
// without the multiplexer; DialOver and NewListener run over a caller's
// net.PacketConn (an in-memory lossy link in tests, a shared socket in
// production).
//
// KCP has no handshake: Dial returns once the server's session has answered
// a ping, and fails within its context (DefaultDialTimeout without a
// deadline) when nothing answers, so the server must be accepting. A peer
// that goes silent later is noticed by keepalive. Both ends must use the
// same DataShards, ParityShards, Crypt and key.
package kcpmux
