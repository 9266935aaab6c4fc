package evloop

// maxDiscard bounds the bytes a connection reads and drops once its
// session has ended (Input failed) while the last frames go out and the
// driver waits for the peer to close (see drain). A peer sends little
// after a GoAway, all of it useless; one that keeps sending past this is
// cut off at once instead of keeping the event loop reading for the whole
// WriteTimeout.
const maxDiscard = 1 << 20

// feed hands bytes that arrived to the session. The engine consumes all of
// them except at most an incomplete frame header, which is kept in carry
// (a few bytes) rather than left in gnet: gnet would then have to stitch
// its buffer to the next read with a copy of the whole read. p is not
// retained. After an Input error the engine is ending the session and will
// close the driver; what arrives until then is discarded, up to maxDiscard
// bytes.
func (d *loopDriver) feed(p []byte) {
	if d.carryN > 0 {
		// Complete the header first. With fewer than HeaderSize bytes
		// Input consumes nothing; with a whole header it consumes exactly
		// the header, and the frame's payload follows in p.
		k := copy(d.carry[d.carryN:], p)
		n := d.carryN + k
		used, err := d.eng.Input(d.carry[:n])
		if err != nil {
			d.inDead = true
			return
		}
		p = p[k:]
		if used < n {
			d.carryN = n // still incomplete, and p is used up
			return
		}
		d.carryN = 0
	}
	if len(p) == 0 {
		return
	}
	used, err := d.eng.Input(p)
	if err != nil {
		d.inDead = true
		return
	}
	d.carryN = copy(d.carry[:], p[used:])
}
