package evloop

import (
	"fmt"
	"log/slog"
	"runtime"

	"github.com/panjf2000/gnet/v2"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// Config tunes a Listener or a Client. The zero value of a field is not its
// default: start from DefaultConfig and change what you need. A nil
// *Config means DefaultConfig().
type Config struct {
	// Session configures every session; nil means core.DefaultConfig().
	Session *core.Config
	// EventLoops is the number of gnet event loops, each one goroutine
	// serving many connections; 0 means one per CPU (default 0, gnet's
	// multicore mode). A Listener or Client also runs as many writer
	// goroutines and one that waits for room in full sockets, and a
	// Listener one that accepts connections.
	EventLoops int
	// ReadBufferCap is the size of each event loop's read buffer, shared by
	// all connections of the loop; 0 means one full frame with its header
	// (default 0: 12 + Session.MaxFrameSize, which gnet rounds up to a
	// power of two, 128 KiB with core's defaults).
	ReadBufferCap int
	// AcceptBacklog bounds the sessions a Listener has accepted and Accept
	// has not yet returned (default 4096, at least 1); a connection
	// arriving while it is full is closed at once. Unused by a Client.
	AcceptBacklog int
	// Logger receives gnet's own diagnostics; nil discards them. gnet keeps
	// one process-wide default logger, which starting a Listener or Client
	// replaces with this one.
	Logger *slog.Logger
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() *Config {
	return &Config{
		AcceptBacklog: 4096,
	}
}

// Validate reports the first setting that makes no sense, wrapping
// core.ErrInvalidConfig; Session, when set, is validated too.
func (c *Config) Validate() error {
	if c.Session != nil {
		if err := c.Session.Validate(); err != nil {
			return err
		}
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: evloop: "+format, append([]any{core.ErrInvalidConfig}, args...)...)
	}
	switch {
	case c.EventLoops < 0:
		return bad("EventLoops %d < 0", c.EventLoops)
	case c.ReadBufferCap < 0:
		return bad("ReadBufferCap %d < 0", c.ReadBufferCap)
	case c.AcceptBacklog < 1:
		return bad("AcceptBacklog %d < 1", c.AcceptBacklog)
	}
	return nil
}

// settings is a validated Config, shared by every connection of one
// Listener or Client and never changed after start.
type settings struct {
	sess          core.Config
	loops         int
	readBufCap    int
	acceptBacklog int
	log           *slog.Logger
}

// resolve validates cfg (nil meaning the defaults) and works out what its
// zero fields mean.
func resolve(cfg *Config) (*settings, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sc := cfg.Session
	if sc == nil {
		sc = core.DefaultConfig()
	}
	s := &settings{
		sess:          *sc,
		loops:         cfg.EventLoops,
		readBufCap:    cfg.ReadBufferCap,
		acceptBacklog: cfg.AcceptBacklog,
		log:           cfg.Logger,
	}
	if s.loops == 0 {
		s.loops = runtime.NumCPU()
	}
	if s.readBufCap == 0 {
		s.readBufCap = frame.HeaderSize + sc.MaxFrameSize
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// gnetOptions are the options of the gnet engine behind a Listener or
// Client.
func (s *settings) gnetOptions() []gnet.Option {
	return []gnet.Option{
		gnet.WithMulticore(true),
		gnet.WithNumEventLoop(s.loops),
		gnet.WithReadBufferCap(s.readBufCap),
		gnet.WithTCPNoDelay(gnet.TCPNoDelay),
		gnet.WithLogger(gnetLogger{s.log}),
	}
}
