// Package core multiplexes many independent, bidirectional streams over one
// ordered, reliable byte stream (TCP, TLS, a unix socket, KCP, a pipe),
// speaking the net-mux v1 wire protocol.
//
// # Sessions and streams
//
// Client and Server start a Session over any io.ReadWriteCloser; each side
// then opens streams with OpenStream (or Open) and takes the peer's with
// AcceptStream (or Accept: a Session is a net.Listener). Opening costs no
// round trip: the first bytes written travel with the stream's SYN.
//
//	sess, err := core.Client(conn, nil) // nil: DefaultConfig()
//	st, err := sess.OpenStream(ctx)
//	st.Write(request)
//	st.CloseWrite() // half-close: the peer reads io.EOF
//	reply, err := io.ReadAll(st)
//
// A Stream is a net.Conn, deadlines included, plus CloseWrite (half-close)
// and Reset. Write returns once its bytes are queued, not sent; each stream
// has its own flow-control window, so a stream whose reader stalls does not
// hold up the others. Close ends one stream; Session.Close ends them all at
// once, Session.Shutdown lets open streams finish first.
//
// # Configuration
//
// The zero value of a Config field is not its default: start from
// DefaultConfig and change what you need. A nil *Config means
// DefaultConfig(). An invalid Config is an error wrapping
// ErrInvalidConfig, never a panic.
//
// # Errors
//
// Errors work with errors.Is and errors.As: ErrStreamReset for a reset
// stream; net.ErrClosed once a stream or the session is closed (errors.As
// with a *GoAwayError tells which GoAway, if one, ended the session);
// os.ErrDeadlineExceeded (a net.Error whose Timeout is true) when a
// deadline passes. A stream cut
// off by the session's end reads an error, never a clean io.EOF.
//
// # Drivers
//
// A session does no I/O itself. Client and Server drive it with one reader
// and one writer goroutine. Other drivers implement Driver and move bytes
// through an Engine (NewEngine), as package transport/evloop does on gnet
// event loops, with no goroutine per connection; transport/kcpmux runs
// sessions over KCP with the goroutine driver.
package core
