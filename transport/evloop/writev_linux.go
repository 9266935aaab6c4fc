package evloop

import (
	"sync"
	"syscall"

	"github.com/netmux/netmux/internal/vecio"
)

// iovecs holds writev's scratch space, so that a write allocates nothing.
var iovecs = sync.Pool{New: func() any { return new([]syscall.Iovec) }}

// writev makes one writev(2) of bufs, none empty, on fd.
func writev(fd int, bufs [][]byte) (int, error) {
	vecs := iovecs.Get().(*[]syscall.Iovec)
	n, errno, v := vecio.Call(syscall.SYS_WRITEV, uintptr(fd), bufs, *vecs)
	*vecs = v
	iovecs.Put(vecs)
	if errno != 0 {
		return 0, errno
	}
	return n, nil
}
