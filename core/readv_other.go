//go:build !linux

package core

import "syscall"

// directReader is empty where the goroutine driver reads every payload
// through its read buffer.
type directReader struct {
	raw  syscall.RawConn // always nil
	fn   func(fd uintptr) bool
	lead *wakeup
	did  bool
	n    int
	err  error
}

// directSender is empty where Writes are always copied into frames.
type directSender struct {
	fn   func(fd uintptr) bool // always nil
	hdrs []byte
	n    int
	err  error
}

// initDirect does nothing on this platform.
func (d *goroutineDriver) initDirect(syscall.Conn) {}
