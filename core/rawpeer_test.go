package core_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// rawTimeout bounds every wait of the raw-peer tests; a passing run never
// gets near it.
const rawTimeout = 5 * time.Second

// rawPeer is the far end of a session's transport, driven by hand: the test
// writes raw net-mux frames and checks the session's exact replies. The
// transport is a net.Pipe, so every write of the peer returns only once the
// session has read it, and the session's writes wait for the peer to read.
type rawPeer struct {
	t    *testing.T
	conn net.Conn      // the peer's end
	sess *core.Session // the session under test, on the other end
	buf  []byte        // bytes read from conn, not yet decoded
	ver  uint8         // version byte of the session's dialect
}

// newRawPeer starts a session in role over a net.Pipe and returns the
// peer's end. Keepalive is off (it would send a ping at start) unless
// tune turns it on; tune may change any setting of the default config.
func newRawPeer(t *testing.T, role core.Role, tune func(*core.Config)) *rawPeer {
	t.Helper()
	c1, c2 := net.Pipe()
	cfg := core.DefaultConfig()
	cfg.KeepAliveInterval = 0
	if tune != nil {
		tune(cfg)
	}
	start := core.Server
	if role == core.RoleClient {
		start = core.Client
	}
	sess, err := start(c1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c2.Close() // first: the session's writer may be waiting for us
		sess.Close()
	})
	ver := frame.Version
	if cfg.Dialect == core.DialectYamux {
		ver = frame.VersionYamux
	}
	return &rawPeer{t: t, conn: c2, sess: sess, ver: ver}
}

// hdr builds a version-1 frame header.
func hdr(typ frame.Type, flags frame.Flags, id, length uint32) frame.Header {
	return frame.Header{Version: frame.Version, Type: typ, Flags: flags, StreamID: id, Length: length}
}

// encode returns the bytes of a frame with h and payload.
func encode(h frame.Header, payload []byte) []byte {
	return append(frame.AppendHeader(nil, h), payload...)
}

// write sends raw bytes to the session in one Write, which returns once the
// session has read them.
func (p *rawPeer) write(b []byte) {
	p.t.Helper()
	p.conn.SetWriteDeadline(time.Now().Add(rawTimeout))
	if _, err := p.conn.Write(b); err != nil {
		p.t.Fatalf("peer write of %d bytes: %v", len(b), err)
	}
}

// send sends one frame.
func (p *rawPeer) send(h frame.Header, payload []byte) {
	p.t.Helper()
	p.write(encode(h, payload))
}

// sendSYN opens stream id from the peer's side, with optional payload.
func (p *rawPeer) sendSYN(id uint32, payload []byte) {
	p.t.Helper()
	p.send(hdr(frame.TypeData, frame.FlagSYN, id, uint32(len(payload))), payload)
}

// read returns the next frame the session sent, waiting at most d; the
// payload is a copy. It fails only with the transport's error (a timeout,
// or io.EOF once the session has closed its end), never t.
func (p *rawPeer) read(d time.Duration) (frame.Header, []byte, error) {
	p.conn.SetReadDeadline(time.Now().Add(d))
	for {
		h, payload, n, err := frame.DecodeVersion(p.buf, p.ver, 16<<20)
		if err != nil {
			return h, nil, errors.New("session sent an invalid frame " + h.String() + ": " + err.Error())
		}
		if n > 0 {
			payload = bytes.Clone(payload)
			p.buf = p.buf[:copy(p.buf, p.buf[n:])]
			return h, payload, nil
		}
		var tmp [64 << 10]byte
		k, err := p.conn.Read(tmp[:])
		p.buf = append(p.buf, tmp[:k]...)
		if err != nil && k == 0 {
			return frame.Header{}, nil, err
		}
	}
}

// next returns the next frame the session sent, failing t if none comes.
func (p *rawPeer) next() (frame.Header, []byte) {
	p.t.Helper()
	h, payload, err := p.read(rawTimeout)
	if err != nil {
		p.t.Fatalf("waiting for a frame from the session: %v", err)
	}
	return h, payload
}

// expect checks that the next frame is exactly h with payload.
func (p *rawPeer) expect(h frame.Header, payload []byte) {
	p.t.Helper()
	got, gotPayload := p.next()
	if got != h || !bytes.Equal(gotPayload, payload) {
		p.t.Fatalf("session sent %v %q; want %v %q", got, clip(gotPayload), h, clip(payload))
	}
}

// expectBytes checks that the next frame's wire bytes are exactly b.
func (p *rawPeer) expectBytes(b []byte) {
	p.t.Helper()
	h, payload := p.next()
	if got := encode(h, payload); !bytes.Equal(got, b) {
		p.t.Fatalf("session sent %x (%v); want %x", got, h, b)
	}
}

// expectQuiet checks that the session sends nothing for d.
func (p *rawPeer) expectQuiet(d time.Duration) {
	p.t.Helper()
	h, payload, err := p.read(d)
	if err == nil {
		p.t.Fatalf("session sent %v %q; want nothing", h, clip(payload))
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		p.t.Fatalf("waiting for silence: %v", err)
	}
}

// expectEOF checks that the session closes the transport without sending
// another frame.
func (p *rawPeer) expectEOF() {
	p.t.Helper()
	h, payload, err := p.read(rawTimeout)
	if err == nil {
		p.t.Fatalf("session sent %v %q; want the transport closed", h, clip(payload))
	}
	if err != io.EOF {
		p.t.Fatalf("waiting for the session to close the transport: %v", err)
	}
	select {
	case <-p.sess.Done():
	case <-time.After(rawTimeout):
		p.t.Fatal("the transport is closed but the session is not done")
	}
}

// expectGoAway checks that the session sends GoAway(code), closes the
// transport, and reports a local *core.GoAwayError with that code.
func (p *rawPeer) expectGoAway(code frame.ErrorCode) {
	p.t.Helper()
	p.expect(hdr(frame.TypeGoAway, 0, 0, uint32(code)), nil)
	p.expectEOF()
	expectGoAwayErr(p.t, p.sess.Err(), code, false)
}

// expectGoAwayErr checks that err is a *core.GoAwayError with code, sent
// (remote false) or received, that also matches net.ErrClosed.
func expectGoAwayErr(t *testing.T, err error, code frame.ErrorCode, remote bool) {
	t.Helper()
	var ga *core.GoAwayError
	if !errors.As(err, &ga) || ga.Code != code || ga.Remote != remote {
		t.Fatalf("error %v; want *core.GoAwayError{Code: %v, Remote: %v}", err, code, remote)
	}
	if !errors.Is(err, net.ErrClosed) {
		t.Fatalf("error %v does not match net.ErrClosed", err)
	}
}

// ping sends a ping with value v and checks that the next frame is its
// reply: nothing else was queued before it, and the session still runs.
func (p *rawPeer) ping(v uint32) {
	p.t.Helper()
	p.send(hdr(frame.TypePing, 0, 0, v), nil)
	p.expect(hdr(frame.TypePing, frame.FlagACK, 0, v), nil)
}

// accept accepts the next stream the peer opened.
func (p *rawPeer) accept() *core.Stream {
	p.t.Helper()
	ctx, cancel := contextFor(rawTimeout)
	defer cancel()
	st, err := p.sess.AcceptStream(ctx)
	if err != nil {
		p.t.Fatalf("AcceptStream: %v", err)
	}
	return st
}

// clip shortens a payload for messages.
func clip(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}

// golden returns the wire bytes of a frame from core/frame's golden vectors
// (captured from the Rust crate).
func golden(t *testing.T, name string) []byte {
	t.Helper()
	f, err := os.Open("frame/testdata/golden.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) >= 2 && fields[0] == name {
			b, err := hex.DecodeString(fields[1])
			if err != nil {
				t.Fatalf("golden %s: %v", name, err)
			}
			return b
		}
	}
	t.Fatalf("no golden frame %q", name)
	return nil
}

// collect reads Data frames of stream id up to and including its FIN and
// returns their payload; any other frame, or other flags, fail t. How the
// session splits data into frames, and whether the FIN rides on the last
// one, depends on timing; this is for checks that do not care.
func (p *rawPeer) collect(id uint32) []byte {
	p.t.Helper()
	var data []byte
	for {
		h, payload := p.next()
		if h.Type != frame.TypeData || h.StreamID != id || h.Flags&^frame.FlagFIN != 0 {
			p.t.Fatalf("session sent %v; want Data on stream %d, flags 0 or FIN", h, id)
		}
		data = append(data, payload...)
		if h.Flags == frame.FlagFIN {
			return data
		}
	}
}
