//go:build !linux

package core

import "syscall"

// directReader is never made where the goroutine driver reads every
// payload through its read buffer.
type directReader struct {
	fn   func(fd uintptr) bool
	lead *wakeup
	did  bool
	n    int
	err  error
}

func (d *goroutineDriver) newDirectReader() *directReader { return &directReader{} }

// sockWriter is the goroutine driver's state for inline writes (tryWrite);
// Writes are never sent straight from their buffer on this platform.
// Owned by the writer role's holder.
type sockWriter struct {
	tryFn func(fd uintptr) bool // tryOnce, bound once
	vecFn func(fd uintptr) bool // nil
	try   []byte                // tryOnce's argument
	hdrs  []byte
	n     int // tryOnce's results
	err   error
}

func (d *goroutineDriver) newSockWriter() *sockWriter { return &sockWriter{tryFn: d.tryOnce} }

// initDirect does nothing on this platform: direct stays false.
func (d *goroutineDriver) initDirect(syscall.Conn) {}
