package core

import (
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a session's counters, cheap enough to poll.
type Stats struct {
	Streams         int    // streams open now
	StreamsOpened   uint64 // streams this side opened
	StreamsAccepted uint64 // peer-opened streams accepted into the table
	StreamsRefused  uint64 // peer SYNs refused with RST (limits, backlog, GoAway)
	BytesIn         uint64 // bytes consumed from the transport, headers included
	BytesOut        uint64 // bytes written to the transport, headers included
	// BytesInDirect counts the Data payload bytes (part of BytesIn) read
	// from the transport straight into a stream's buffer or a waiting
	// Read's, without passing through the session's read buffer (the
	// goroutine driver does so on Linux TCP and unix sockets).
	BytesInDirect uint64
	// BytesOutDirect counts the Data payload bytes (part of BytesOut)
	// written to the transport straight from a Write's buffer, without
	// being copied into a frame (large Writes on Linux TCP and unix
	// sockets, when nothing else is being written).
	BytesOutDirect uint64
	SendQueued     int           // bytes written by streams, not yet handed to the transport
	RTT            time.Duration // smoothed ping round-trip time, 0 if unknown

	// KeepAliveTimeouts is 1 once the session has ended because the peer
	// went silent (GoAway(Timeout) sent), else 0: summed over sessions, it
	// counts dead peers.
	KeepAliveTimeouts uint64
}

// counters are the session's monotonic counters, updated with atomics at
// most once per Input, Written or stream event.
type counters struct {
	opened, accepted, refused, bytesIn, bytesInDirect, bytesOut, bytesOutDirect, keepAliveTimeouts atomic.Uint64
}

// Stats returns a snapshot of the session's counters.
func (s *Session) Stats() Stats {
	st := Stats{
		StreamsOpened:   s.stats.opened.Load(),
		StreamsAccepted: s.stats.accepted.Load(),
		StreamsRefused:  s.stats.refused.Load(),
		BytesIn:         s.stats.bytesIn.Load(),
		BytesInDirect:   s.stats.bytesInDirect.Load(),
		BytesOut:        s.stats.bytesOut.Load(),
		BytesOutDirect:  s.stats.bytesOutDirect.Load(),
		RTT:             s.RTT(),

		KeepAliveTimeouts: s.stats.keepAliveTimeouts.Load(),
	}
	st.Streams = s.tbl.count()
	st.SendQueued = s.tx.queuedBytes()
	return st
}
