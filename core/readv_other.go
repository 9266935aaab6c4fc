//go:build !linux

package core

import (
	"errors"
	"syscall"
)

// sockReader is never made where the goroutine driver reads every
// payload through its read buffer.
type sockReader struct {
	fn   func(fd uintptr) bool
	lead *wakeup
	did  bool
	n    int
	err  error
}

func (d *goroutineDriver) sockReader() *sockReader { return &sockReader{} }

// read reads the transport into p: sockets are not read through raw on
// this platform.
func (d *goroutineDriver) read(p []byte) (int, error) { return d.conn.Read(p) }

// writeAll is never called: direct stays false on this platform.
func (d *goroutineDriver) writeAll([][]byte) error { return errors.ErrUnsupported }

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
