// Package tunnel is a reverse tunnel over netmux, in the style of frp: a
// Client behind a firewall dials a public Server once and keeps one netmux
// session open; every TCP connection the Server accepts from a public user
// becomes a stream on that session, which the Client joins to a fresh TCP
// connection to a local service. Bytes flow both ways at once and each
// side's half-close (FIN) is passed on, so request/response protocols that
// close their write side (HTTP/1.0, rsync, netcat -N) work unchanged.
//
// Server and Client take transports already made (a session Listener, a
// dial function), so the same code runs over TCP, TLS or any other netmux
// transport, in a program or in-process in a test.
//
// There is no authentication of the tunnel client beyond what the
// transport gives: whoever reaches the tunnel port may serve the public
// port. Put it behind mutual TLS, or a private network, for real use.
package tunnel
