//go:build !unix

package core

import "syscall"

// rawConn returns nil: Writes never write inline on this platform.
func rawConn(syscall.Conn) syscall.RawConn { return nil }

// tryOnce is never called without rawConn.
func (d *goroutineDriver) tryOnce(uintptr) bool { return true }
