package core

import (
	"io"
	"net"
	"sync"
	"time"

	"github.com/netmux/netmux/bufpool"
	"github.com/netmux/netmux/core/frame"
)

// goroutineDriver is the goroutine driver: one reader and one writer goroutine
// per session over any io.ReadWriteCloser, nothing per stream.
type goroutineDriver struct {
	conn io.ReadWriteCloser
	eng  *Engine
	wake chan struct{} // 1-buffered: output pending
	quit chan struct{} // closed by Close
	once sync.Once

	mu         sync.Mutex
	readerDone bool        // the reader goroutine has returned
	linger     *time.Timer // after a half-close: closes the connection at WriteTimeout
	closed     bool        // the connection is closed

	// writer goroutine only
	bufs  [][]byte
	flat  []byte // coalescing buffer for transports without vectored writes
	vecW  func([][]byte) (int64, error)
	nb    net.Buffers     // reused so that vectored writes do not allocate
	small [smallRead]byte // reader's buffer while traffic is light
}

// smallRead is the reader's buffer size while reads stay small; reads that
// fill it switch to a pooled large buffer until traffic calms down, so an
// idle session holds only this much.
const smallRead = 2 << 10

// buffersWriter is a transport with its own vectored write (kcp-go's
// UDPSession has one).
type buffersWriter interface {
	WriteBuffers(v [][]byte) (int, error)
}

func runConn(conn io.ReadWriteCloser, role Role, cfg *Config) (*Session, error) {
	if conn == nil {
		return nil, ErrNilTransport
	}
	d := &goroutineDriver{conn: conn, wake: make(chan struct{}, 1), quit: make(chan struct{})}
	switch c := conn.(type) {
	case *net.TCPConn, *net.UnixConn:
		// net.Buffers uses writev on these.
		w := c.(io.Writer)
		d.vecW = func(v [][]byte) (int64, error) {
			d.nb = v
			return d.nb.WriteTo(w)
		}
	case buffersWriter:
		d.vecW = func(v [][]byte) (int64, error) {
			n, err := c.WriteBuffers(v)
			return int64(n), err
		}
	}
	e, err := NewEngine(d, role, cfg)
	if err != nil {
		return nil, err
	}
	d.eng = e
	go d.readLoop()
	go d.writeLoop()
	return e.Session(), nil
}

// Wake implements Driver.
func (d *goroutineDriver) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Close implements Driver. A connection that can half-close (TCP, unix,
// TLS) is shut for writing first: the peer reads everything up to our last
// frame, then end-of-stream, while the reader goes on reading (and
// dropping) until the peer closes its side too, and then closes the
// connection. Closing at once, with bytes of the peer's still unread,
// would make the kernel reset the connection, which can destroy the last
// frames we wrote before the peer reads them. WriteTimeout bounds that
// wait. Other connections are closed at once. Either way both goroutines
// end.
func (d *goroutineDriver) Close() error {
	var err error
	d.once.Do(func() {
		close(d.quit)
		d.mu.Lock()
		defer d.mu.Unlock()
		hc, ok := d.conn.(interface{ CloseWrite() error })
		if !ok || d.readerDone || hc.CloseWrite() != nil {
			d.closed = true
			err = d.conn.Close()
			return
		}
		d.linger = time.AfterFunc(d.eng.Session().cfg.WriteTimeout, d.closeConn)
	})
	return err
}

// closeConn closes the connection once, after a half-close.
func (d *goroutineDriver) closeConn() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.closed = true
	d.linger.Stop()
	d.conn.Close()
}

// readerExited records that the reader is gone and, if Close half-closed
// the connection meanwhile, closes it now: nobody reads any more.
func (d *goroutineDriver) readerExited() {
	d.mu.Lock()
	d.readerDone = true
	half := d.linger != nil
	d.mu.Unlock()
	if half {
		d.closeConn()
	}
}

// LocalAddr implements Addresser when the connection has addresses.
func (d *goroutineDriver) LocalAddr() net.Addr {
	if a, ok := d.conn.(Addresser); ok {
		return a.LocalAddr()
	}
	return muxAddr{}
}

// RemoteAddr implements Addresser when the connection has addresses.
func (d *goroutineDriver) RemoteAddr() net.Addr {
	if a, ok := d.conn.(Addresser); ok {
		return a.RemoteAddr()
	}
	return muxAddr{}
}

func (d *goroutineDriver) readLoop() {
	buf := d.small[:]
	var large *bufpool.Large
	have := 0
	for {
		n, err := d.conn.Read(buf[have:])
		filled := have+n == len(buf)
		have += n
		if n > 0 {
			used, ierr := d.eng.Input(buf[:have])
			if ierr != nil {
				d.discardUntilClosed(buf)
				break
			}
			have = copy(buf, buf[used:have]) // at most a partial header
			// Grow to a large buffer when reads fill the small one; shrink
			// back when traffic calms, so idle sessions hold little.
			switch {
			case large == nil && filled:
				large = bufpool.GetLarge()
				have = copy(large[:], buf[:have])
				buf = large[:]
			case large != nil && n < smallRead && have < frame.HeaderSize:
				have = copy(d.small[:], buf[:have])
				buf = d.small[:]
				bufpool.PutLarge(large)
				large = nil
			}
		}
		if err != nil {
			d.eng.Closed(err)
			break
		}
	}
	if large != nil {
		bufpool.PutLarge(large)
	}
	d.readerExited()
}

// discardUntilClosed reads and drops whatever the peer still sends once
// the session has ended, until the peer closes its side or the connection
// is closed. A peer blocked writing to us (a synchronous pipe, a full
// socket) could otherwise not take our final GoAway, and closing a TCP
// socket with unread data resets it, which may destroy our last frames
// before the peer reads them (see Close).
func (d *goroutineDriver) discardUntilClosed(buf []byte) {
	for {
		if _, err := d.conn.Read(buf); err != nil {
			return
		}
	}
}

func (d *goroutineDriver) writeLoop() {
	for {
		select {
		case <-d.wake:
		case <-d.quit:
			return
		}
		for {
			d.bufs = d.eng.Output(d.bufs[:0])
			if len(d.bufs) == 0 {
				break
			}
			err := d.write(d.bufs)
			clear(d.bufs)
			d.eng.Written(err)
			if err != nil {
				return
			}
		}
	}
}

// write writes one batch: vectored where the transport supports it, else
// copied into one buffer so that each batch is a single Write (one TLS
// record run, one pipe hand-off).
func (d *goroutineDriver) write(bufs [][]byte) error {
	if d.vecW != nil {
		_, err := d.vecW(bufs)
		return err
	}
	if len(bufs) == 1 {
		_, err := d.conn.Write(bufs[0])
		return err
	}
	d.flat = d.flat[:0]
	for _, b := range bufs {
		d.flat = append(d.flat, b...)
	}
	_, err := d.conn.Write(d.flat)
	if cap(d.flat) > 1<<20 {
		d.flat = nil // do not pin a rare huge batch
	}
	return err
}
