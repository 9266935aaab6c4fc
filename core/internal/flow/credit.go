package flow

import "sync/atomic"

// maxCredit is the most credit a stream can hold: the protocol's window
// updates add with saturation at 2^32-1.
const maxCredit = 1<<32 - 1

// SendCredit is how many bytes a stream may still send: the peer's initial
// window plus its WindowUpdates, less what was sent. Not safe for
// concurrent use: it belongs to the stream's send side, under its lock.
type SendCredit struct{ n int64 }

// NewSendCredit returns the credit of a new stream with the given window.
func NewSendCredit(window uint32) SendCredit { return SendCredit{n: int64(window)} }

// Available returns the bytes that may be sent now.
func (c SendCredit) Available() int64 { return c.n }

// Spend records n bytes sent; n must not exceed Available.
func (c *SendCredit) Spend(n int) { c.n -= int64(n) }

// Grant adds a WindowUpdate's increment, saturating at 2^32-1.
func (c *SendCredit) Grant(inc uint32) { c.n = min(c.n+int64(inc), maxCredit) }

// RecvCredit is how many bytes the peer may still send on a stream: what
// we granted, less what arrived. Safe for concurrent use: the inbound
// dispatcher spends it, the reader grants more.
type RecvCredit struct{ n atomic.Int64 }

// Init sets the credit of a new stream to its initial window.
func (c *RecvCredit) Init(window uint32) { c.n.Store(int64(window)) }

// Spend records a Data payload of n bytes that arrived; it reports false if
// n exceeds the credit, a flow-control violation.
func (c *RecvCredit) Spend(n uint32) bool { return c.n.Add(-int64(n)) >= 0 }

// Grant adds credit just before a WindowUpdate with increment inc is sent:
// the peer may use it as soon as the update arrives.
func (c *RecvCredit) Grant(inc uint32) { c.n.Add(int64(inc)) }
