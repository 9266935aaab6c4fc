package tunnel_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"
)

// The test service behind the tunnel checks what it receives and answers
// with deterministic bytes. A connection starts with a header telling it
// what request will follow and what response to send; the bytes of both
// are a ChaCha8 stream from a seed, so either end can check them.
//
// In requestFirst mode the service reads the whole request up to the
// client's FIN before answering: the client half-closes and must still get
// the full response. In responseFirst mode the service sends the whole
// response and its FIN before reading the request: the FIN must travel
// back while the other direction is still busy.
type transfer struct {
	responseFirst bool
	reqSeed       uint64
	reqLen        int64
	respSeed      uint64
	respLen       int64
}

const headerLen = 1 + 4*8

func (x transfer) header() []byte {
	h := make([]byte, 0, headerLen)
	mode := byte(0)
	if x.responseFirst {
		mode = 1
	}
	h = append(h, mode)
	h = binary.BigEndian.AppendUint64(h, x.reqSeed)
	h = binary.BigEndian.AppendUint64(h, uint64(x.reqLen))
	h = binary.BigEndian.AppendUint64(h, x.respSeed)
	return binary.BigEndian.AppendUint64(h, uint64(x.respLen))
}

func parseHeader(h []byte) transfer {
	return transfer{
		responseFirst: h[0] == 1,
		reqSeed:       binary.BigEndian.Uint64(h[1:]),
		reqLen:        int64(binary.BigEndian.Uint64(h[9:])),
		respSeed:      binary.BigEndian.Uint64(h[17:]),
		respLen:       int64(binary.BigEndian.Uint64(h[25:])),
	}
}

// content returns the n deterministic bytes of seed.
func content(seed uint64, n int64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return io.LimitReader(rand.NewChaCha8(key), n)
}

// digest returns the SHA-256 of the n deterministic bytes of seed.
func digest(seed uint64, n int64) []byte {
	h := sha256.New()
	io.Copy(h, content(seed, n))
	return h.Sum(nil)
}

// readAll reads r to EOF and returns the SHA-256 and count of what it read.
func readAll(r io.Reader) ([]byte, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	return h.Sum(nil), n, err
}

// service is the local service behind the tunnel.
type service struct {
	ln      net.Listener
	t       *testing.T
	wg      sync.WaitGroup
	hold    chan struct{} // if non-nil, answers wait for it to close
	arrived chan struct{} // receives one value per connection accepted
}

// startService starts the service on loopback; it stops at test cleanup.
func startService(t *testing.T) *service {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &service{ln: ln, t: t, arrived: make(chan struct{}, 64)}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case s.arrived <- struct{}{}:
			default:
			}
			s.wg.Go(func() { s.serve(c.(*net.TCPConn)) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *service) addr() string { return s.ln.Addr().String() }

func (s *service) serve(c *net.TCPConn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	h := make([]byte, headerLen)
	if _, err := io.ReadFull(c, h); err != nil {
		s.t.Errorf("service: header: %v", err)
		return
	}
	x := parseHeader(h)
	check := func() error {
		sum, n, err := readAll(c)
		if err != nil {
			return err
		}
		if n != x.reqLen || !bytes.Equal(sum, digest(x.reqSeed, x.reqLen)) {
			return fmt.Errorf("request of %d bytes arrived as %d different bytes", x.reqLen, n)
		}
		return nil
	}
	answer := func() error {
		if s.hold != nil {
			<-s.hold
		}
		if _, err := io.Copy(c, content(x.respSeed, x.respLen)); err != nil {
			return err
		}
		return c.CloseWrite()
	}
	first, second := check, answer
	if x.responseFirst {
		first, second = answer, check
	}
	if err := first(); err != nil {
		s.t.Errorf("service: %v", err)
		c.SetLinger(0)
		return
	}
	if err := second(); err != nil {
		s.t.Errorf("service: %v", err)
	}
}

// run is the public user's side of x over c: it sends the header and the
// request then half-closes, while reading and checking the response up to
// the service's FIN. It closes c.
func (x transfer) run(c net.Conn) error {
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	sent := make(chan error, 1)
	go func() {
		_, err := io.Copy(c, io.MultiReader(bytes.NewReader(x.header()), content(x.reqSeed, x.reqLen)))
		if err == nil {
			err = c.(interface{ CloseWrite() error }).CloseWrite()
		}
		sent <- err
	}()
	sum, n, rerr := readAll(c)
	if rerr != nil {
		c.Close() // unblock the writer
	}
	if err := errors.Join(rerr, <-sent); err != nil {
		return err
	}
	if n != x.respLen || !bytes.Equal(sum, digest(x.respSeed, x.respLen)) {
		return fmt.Errorf("response of %d bytes arrived as %d different bytes", x.respLen, n)
	}
	return nil
}
