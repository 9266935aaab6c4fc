package core

import "net"

// Listener returns a net.Listener view of the session for servers that shut
// down gracefully on their own, such as http.Server.Shutdown and
// grpc.Server.GracefulStop: they close the listener first, then wait for
// the requests in flight. Its Accept is the session's; its Close only stops
// accepting: it sends GoAway(Normal) so that neither side opens new streams,
// resets the streams the peer opened that were not accepted yet (as a
// closed TCP listener does), and lets the streams already open finish; the
// session then ends by itself once the last one has finished. Closing the
// Session instead ends every stream at once. Pass s.Listener(), not s, to
// http.Server.Serve.
func (s *Session) Listener() net.Listener { return sessionListener{s} }

// sessionListener is the view Listener returns.
type sessionListener struct{ s *Session }

func (l sessionListener) Accept() (net.Conn, error) { return l.s.Accept() }
func (l sessionListener) Addr() net.Addr            { return l.s.Addr() }
func (l sessionListener) Close() error              { l.s.stopAccepting(); return nil }
