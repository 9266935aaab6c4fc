//go:build unix

package core

import (
	"syscall"
)

// rawConn returns the socket under c, for writes that must not block.
func rawConn(c syscall.Conn) syscall.RawConn {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// tryOnce is tryWrite's callback: one write(2) of d.sw.try on the
// non-blocking socket. It never asks to wait: a full socket writes 0.
func (d *goroutineDriver) tryOnce(fd uintptr) bool {
	for {
		d.sys.Lock()
		n, err := syscall.Write(int(fd), d.sw.try)
		d.sys.Unlock()
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			n, err = 0, nil
		case nil:
		default:
			n, err = 0, d.sockError("write", err)
		}
		d.sw.n, d.sw.err = n, err
		return true
	}
}
