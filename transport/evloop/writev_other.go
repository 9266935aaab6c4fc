//go:build !linux

package evloop

import gio "github.com/panjf2000/gnet/v2/pkg/io"

// writev makes one writev(2) of bufs on fd (allocating its iovecs).
func writev(fd int, bufs [][]byte) (int, error) { return gio.Writev(fd, bufs) }
