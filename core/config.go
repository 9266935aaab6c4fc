package core

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/netmux/netmux/core/frame"
)

// Config tunes a session made by Client or Server. The zero value of a
// field is not its default: start from DefaultConfig and change what you
// need. A nil *Config means DefaultConfig().
type Config struct {
	// MaxFrameSize is the largest Data payload sent and accepted, in bytes
	// (default 65536, range 1024..16 MiB). A peer's longer frame ends the
	// session with GoAway(ProtocolError).
	MaxFrameSize int
	// MaxStreams bounds the streams open at once on this side, opened and
	// accepted together (default 4096). A SYN beyond it is refused with
	// RST; OpenStream waits for a stream to end, Open fails with
	// ErrTooManyStreams. Each open stream may hold up to its receive window
	// (256 KiB, more once auto-tuned within MaxSessionWindow) of data the
	// application has not read, so a peer can pin at most about
	// MaxStreams × 256 KiB + MaxSessionWindow: 1.06 GiB at the defaults.
	MaxStreams int
	// AcceptBacklog bounds peer-opened streams not yet accepted (default
	// 4096, as MaxStreams, so that a peer opening a burst of streams without
	// pacing, as the Rust crate does, is not refused); a SYN beyond it is
	// refused with RST. It also bounds this side's opens that the peer has
	// not acknowledged yet (in the yamux dialect to at most 256, the yamux
	// peers' backlog): OpenStream and Open wait.
	AcceptBacklog int
	// KeepAliveInterval is how often a ping is sent; 0 disables keepalive
	// (default 30s). With keepalive on, one ping also goes out at start to
	// measure the round-trip time that window auto-tuning uses.
	KeepAliveInterval time.Duration
	// KeepAliveTimeout is how long after the transport took a ping the
	// session waits for any inbound frame before it ends with
	// GoAway(Timeout) (default 30s); a ping still waiting in our own queue is
	// timed only while the transport does not take the write before it.
	KeepAliveTimeout time.Duration
	// MaxStreamWindow is the ceiling, in bytes, to which a stream's receive
	// window may auto-tune above the protocol's 256 KiB (default 16 MiB;
	// 262144 disables auto-tuning).
	MaxStreamWindow int
	// MaxSessionWindow bounds the receive-window growth of all streams of
	// the session together, beyond their initial 256 KiB each (default
	// 64 MiB; 0 allows none). It caps the memory a session commits to
	// buffering.
	MaxSessionWindow int
	// MaxSendBuffer bounds the bytes written by the application and not yet
	// handed to the transport, for the whole session (default 512 KiB, one
	// vectored write's worth: more only lets queued frames go cold in the
	// CPU cache before the transport copies them); Write waits while it is
	// full.
	MaxSendBuffer int
	// StreamCloseTimeout bounds how long a stream closed with Close waits
	// for the peer's FIN; past it the stream is reset and leaves the table,
	// so a peer that never finishes its streams cannot use up MaxStreams
	// (default 30s; 0 waits for ever).
	StreamCloseTimeout time.Duration
	// WriteTimeout bounds how long the session waits for its transport to
	// take queued frames when closing (default 5s); past it the transport
	// is closed with whatever was unsent.
	WriteTimeout time.Duration
	// Logger receives the session's diagnostics; nil disables logging.
	Logger *slog.Logger
	// Dialect is the wire protocol: DialectNetMux (the zero value and
	// default) or DialectYamux, to talk to yamux peers.
	Dialect Dialect
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() *Config {
	return &Config{
		MaxFrameSize:       frame.DefaultMaxFrameSize,
		MaxStreams:         4096,
		AcceptBacklog:      4096,
		KeepAliveInterval:  30 * time.Second,
		KeepAliveTimeout:   30 * time.Second,
		MaxStreamWindow:    16 << 20,
		MaxSessionWindow:   64 << 20,
		MaxSendBuffer:      512 << 10,
		StreamCloseTimeout: 30 * time.Second,
		WriteTimeout:       5 * time.Second,
	}
}

// ErrInvalidConfig is wrapped by every configuration error.
var ErrInvalidConfig = errors.New("netmux: invalid config")

// Validate reports the first setting that makes no sense, wrapping
// ErrInvalidConfig.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	switch {
	case c.MaxFrameSize < 1024 || c.MaxFrameSize > 16<<20:
		return bad("MaxFrameSize %d outside 1024..16777216", c.MaxFrameSize)
	case c.MaxStreams < 1:
		return bad("MaxStreams %d < 1", c.MaxStreams)
	case c.AcceptBacklog < 1:
		return bad("AcceptBacklog %d < 1", c.AcceptBacklog)
	case c.KeepAliveInterval < 0:
		return bad("KeepAliveInterval %v < 0", c.KeepAliveInterval)
	case c.KeepAliveInterval > 0 && c.KeepAliveTimeout <= 0:
		return bad("KeepAliveTimeout %v must be > 0 when keepalive is on", c.KeepAliveTimeout)
	case c.MaxStreamWindow < frame.InitialWindow || c.MaxStreamWindow > 1<<30:
		return bad("MaxStreamWindow %d outside %d..1 GiB", c.MaxStreamWindow, frame.InitialWindow)
	case c.MaxSessionWindow < 0:
		return bad("MaxSessionWindow %d < 0", c.MaxSessionWindow)
	case c.MaxSendBuffer < c.MaxFrameSize:
		return bad("MaxSendBuffer %d < MaxFrameSize %d", c.MaxSendBuffer, c.MaxFrameSize)
	case c.StreamCloseTimeout < 0:
		return bad("StreamCloseTimeout %v < 0", c.StreamCloseTimeout)
	case c.WriteTimeout <= 0:
		return bad("WriteTimeout %v must be > 0", c.WriteTimeout)
	case c.Dialect > maxDialect:
		return bad("unknown Dialect %d", c.Dialect)
	}
	return nil
}

// discardLogger is shared by every session without a Logger.
var discardLogger = slog.New(slog.DiscardHandler)

// resolve returns a validated copy of cfg, or of the defaults if cfg is nil.
func resolve(cfg *Config) (Config, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	c := *cfg
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	if c.Logger == nil {
		c.Logger = discardLogger
	}
	return c, nil
}
