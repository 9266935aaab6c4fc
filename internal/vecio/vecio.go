//go:build linux

// Package vecio makes readv(2) and writev(2) system calls without
// allocating: the caller keeps the iovec scratch space from call to call.
package vecio

import (
	"syscall"
	"unsafe"
)

// MaxBufs is the most buffers one readv(2) or writev(2) takes (the
// kernel's IOV_MAX); Call uses the first MaxBufs of a longer list.
const MaxBufs = 1024

// Call makes one readv(2) or writev(2) (trap: syscall.SYS_READV or
// SYS_WRITEV) of bufs (the first MaxBufs of them), none empty, on fd,
// retried on EINTR, with vecs as scratch space for the iovecs, and returns
// the bytes moved, the error and vecs emptied (keeping no reference to the
// buffers).
func Call(trap, fd uintptr, bufs [][]byte, vecs []syscall.Iovec) (int, syscall.Errno, []syscall.Iovec) {
	for _, b := range bufs[:min(len(bufs), MaxBufs)] {
		v := syscall.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		vecs = append(vecs, v)
	}
	var n uintptr
	var errno syscall.Errno
	for {
		n, _, errno = syscall.Syscall(trap, fd, uintptr(unsafe.Pointer(&vecs[0])), uintptr(len(vecs)))
		if errno != syscall.EINTR {
			break
		}
	}
	clear(vecs)
	return int(n), errno, vecs[:0]
}
