package bench

import (
	"net"
	"time"

	"github.com/netmux/netmux/core"
)

// session is one end of a multiplexed connection, as the workloads see it.
// All of its methods may be called from any goroutine. Close releases
// everything the end holds, including its streams and its transport, and
// unblocks every pending Open, Accept, Read and Write with an error.
type session interface {
	// Open starts a new stream to the peer. It may block while the
	// implementation waits for flow-control or handshake credit.
	Open() (net.Conn, error)
	// Accept blocks until the peer opens a stream.
	Accept() (net.Conn, error)
	// Close tears the end down; it is safe to call more than once.
	Close() error
}

// options tells an adapter what a workload needs beyond default settings.
// The zero value means "defaults"; adapters change only what a workload
// would otherwise trip over, and README.md lists every such change.
type options struct {
	// streams is the most streams the workload holds open at once on one
	// session. Adapters whose defaults would refuse or reset that many
	// (hashicorp/yamux AcceptBacklog, go-yamux AcceptBacklog and
	// MaxIncomingStreams) raise the limit to it.
	streams int
	// rtt is the round-trip time the link adds: when nonzero, the
	// connection runs through a relay that holds each direction's bytes
	// rtt/2 (see delayedConn). Only adapters built with overTCP honour it;
	// the workloads that set it run only on highRTTImpls.
	rtt time.Duration
}

// impl is one implementation under test.
type impl struct {
	// name is the sub-benchmark name and the column of the summary table.
	name string
	// pair connects a client end and a server end over a new loopback TCP
	// connection (or, for raw TCP, a new listener). Closing both ends
	// releases everything pair created.
	pair func(o options) (client, server session, err error)
	// connPerStream is true when every stream is its own TCP connection,
	// so a stream costs two file descriptors in this process.
	connPerStream bool
}

// highRTTImpls names the implementations the high-RTT workloads run on:
// the multiplexers over TCP that honour options.rtt, at their defaults.
func highRTTImpls() []string { return []string{"netmux", "smux", "yamux", "go-yamux"} }

// implementations returns the implementations every workload runs against,
// in the column order of the summary table.
func implementations() []impl {
	return []impl{
		{name: "netmux", pair: overTCP(netmuxEnds(core.DialectNetMux))},
		{name: "netmux-yamux", pair: overTCP(netmuxEnds(core.DialectYamux))},
		{name: "netmux-gnet", pair: netmuxGnetPairs()},
		{name: "netmux-kcp", pair: netmuxKCPPair},
		{name: "smux", pair: overTCP(smuxEnds(1))},
		{name: "smux-v2", pair: overTCP(smuxEnds(2))},
		{name: "smux-kcp", pair: smuxKCPPair},
		{name: "yamux", pair: overTCP(yamuxEnds())},
		{name: "go-yamux", pair: overTCP(goYamuxEnds())},
		{name: "tcp", pair: tcpPair, connPerStream: true},
	}
}
