package core

import (
	"encoding/binary"
	"os"

	"github.com/netmux/netmux/core/frame"
)

// Write queues p on the stream and returns once all of it is queued (not
// sent): it waits for send credit from the peer and for room in the
// session's send buffer. Each chunk is copied once into the stream's frame
// buffer; consecutive small writes coalesce into one frame. On a deadline,
// reset or close it returns the bytes queued so far; none of the rest is
// left queued.
func (st *Stream) Write(p []byte) (int, error) {
	st.writeMu.Lock()
	defer st.writeMu.Unlock()
	s := st.sess
	var (
		n   int
		err error
		k   *wakeup
	)
	for {
		if st.ww.exceeded() {
			err = os.ErrDeadlineExceeded
			break
		}
		s.sendMu.Lock()
		if state := st.state.Load(); state&(stFinSent|stReset|stCutOff) != 0 {
			s.sendMu.Unlock()
			err = st.stateErr(state)
			break
		}
		if n == len(p) {
			s.sendMu.Unlock()
			break
		}
		room := st.roomLocked()
		if room <= 0 {
			s.sendMu.Unlock()
			if k == nil {
				k = st.ww.arm() // then re-check before blocking
			} else {
				st.ww.block(k, s.done)
			}
			continue
		}
		c := min(room, len(p)-n)
		st.appendDataLocked(p[n : n+c])
		st.sendCredit -= int64(c)
		s.sendMu.Unlock()
		s.kick()
		n += c
	}
	st.ww.disarm(k)
	return n, err
}

// roomLocked returns how many bytes Write may queue now. If none, it
// registers st to be woken when that changes: by a WindowUpdate (credit) or
// by the driver taking queued frames (buffer space).
func (st *Stream) roomLocked() int {
	s := st.sess
	outLen := 0
	if st.out != nil {
		outLen = len(st.out.B)
	}
	space := min(s.cfg.MaxSendBuffer-s.queued, 4*s.cfg.MaxFrameSize-outLen)
	if space <= frame.HeaderSize {
		if !st.spaceWait {
			st.spaceWait = true
			s.spaceWaits = append(s.spaceWaits, st)
		}
		return 0
	}
	return int(min(int64(space-frame.HeaderSize), st.sendCredit))
}

// appendDataLocked encodes p as Data frames at the end of out, growing the
// last frame while it has room so that small writes coalesce.
func (st *Stream) appendDataLocked(p []byte) {
	s := st.sess
	max := s.cfg.MaxFrameSize
	// Room for all of p and its headers at once, from the size classes.
	st.out = dataBufs.Grow(st.out, len(p)+(len(p)/max+1)*frame.HeaderSize)
	for len(p) > 0 {
		if st.lastHdr < 0 || st.lastFlags()&frame.FlagFIN != 0 || st.lastLen() >= max {
			st.appendFrameLocked(0)
		}
		k := min(len(p), max-st.lastLen())
		st.out.B = append(st.out.B, p[:k]...)
		binary.BigEndian.PutUint32(st.out.B[st.lastHdr+8:], uint32(st.lastLen()+k))
		s.queued += k
		p = p[k:]
	}
}

// appendFrameLocked starts a new, empty Data frame with flags in out and
// queues the stream for output.
func (st *Stream) appendFrameLocked(flags frame.Flags) {
	s := st.sess
	if st.out == nil {
		st.out = dataBufs.Get(frame.HeaderSize)
	}
	st.lastHdr = len(st.out.B)
	st.out.B = frame.AppendHeader(st.out.B, frame.Header{
		Version: s.cfg.Dialect.version(), Type: frame.TypeData, Flags: flags, StreamID: st.id,
	})
	s.queued += frame.HeaderSize
	s.markReadyLocked(st)
}

// appendFlagLocked sets flag on the last queued frame, or queues an empty
// frame carrying it (always, where the dialect wants a FIN apart).
func (st *Stream) appendFlagLocked(flag frame.Flags) {
	if st.lastHdr < 0 || flag == frame.FlagFIN && st.lastLen() > 0 && st.sess.cfg.Dialect.finApart() {
		st.appendFrameLocked(flag)
		return
	}
	b := st.out.B[st.lastHdr+2:]
	binary.BigEndian.PutUint16(b, binary.BigEndian.Uint16(b)|uint16(flag))
}

func (st *Stream) lastLen() int {
	return int(binary.BigEndian.Uint32(st.out.B[st.lastHdr+8:]))
}

func (st *Stream) lastFlags() frame.Flags {
	return frame.Flags(binary.BigEndian.Uint16(st.out.B[st.lastHdr+2:]))
}

// addSendCredit applies a WindowUpdate from the peer.
func (st *Stream) addSendCredit(inc uint32) {
	s := st.sess
	s.sendMu.Lock()
	st.sendCredit = min(st.sendCredit+int64(inc), 1<<32-1)
	s.sendMu.Unlock()
	st.ww.notify()
}
