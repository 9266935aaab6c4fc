package kcpmux

// convKey names one KCP conversation: the peer's address and the random
// conversation id its dialer chose.
type convKey struct {
	addr string
	conv uint32
}

// recent remembers the last conversations a listener handed out, in a ring
// of fixed size. It is not safe for concurrent use.
type recent struct {
	ring []convKey
	next int
	set  map[convKey]struct{}
}

// recentConvs is how many conversations a listener remembers. A ghost
// (see ConnListener) follows the end of its conversation by about a round
// trip, so this needs to outlast only the connections accepted meanwhile.
const recentConvs = 1024

func newRecent(n int) *recent {
	return &recent{ring: make([]convKey, 0, n), set: make(map[convKey]struct{}, n)}
}

// seen reports whether k was added and is still remembered.
func (r *recent) seen(k convKey) bool {
	_, ok := r.set[k]
	return ok
}

// add remembers k, forgetting the oldest key when full.
func (r *recent) add(k convKey) {
	if len(r.ring) < cap(r.ring) {
		r.ring = append(r.ring, k)
	} else {
		delete(r.set, r.ring[r.next])
		r.ring[r.next] = k
		r.next = (r.next + 1) % len(r.ring)
	}
	r.set[k] = struct{}{}
}
