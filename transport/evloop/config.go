package evloop

import (
	"fmt"
	"log/slog"
	"runtime"

	"github.com/panjf2000/gnet/v2"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// Config tunes a Listener or a Client. A nil *Config means every default;
// in a Config, a zero field means that field's default.
type Config struct {
	// Session configures every session; nil means core.DefaultConfig().
	Session *core.Config
	// EventLoops is the number of gnet event loops, each one goroutine
	// serving many connections; 0 means one per CPU (gnet's multicore
	// mode). A Listener or Client runs one more goroutine, its background
	// writer, and a Listener one that accepts connections.
	EventLoops int
	// ReadBufferCap is the size of each event loop's read buffer, shared by
	// all connections of the loop; 0 means one full frame with its header
	// (12 + Session.MaxFrameSize), which gnet rounds up to a power of two
	// (128 KiB by default).
	ReadBufferCap int
	// AcceptBacklog bounds the sessions a Listener has accepted and Accept
	// has not yet returned (default 4096); a connection arriving while it
	// is full is closed at once. Unused by a Client.
	AcceptBacklog int
	// Logger receives gnet's own diagnostics; nil discards them. gnet keeps
	// one process-wide default logger, which starting a Listener or Client
	// replaces with this one.
	Logger *slog.Logger
}

// DefaultAcceptBacklog is the default of Config.AcceptBacklog.
const DefaultAcceptBacklog = 4096

// settings is a validated Config, shared by every connection of one
// Listener or Client and never changed after start.
type settings struct {
	sess          core.Config
	loops         int
	readBufCap    int
	acceptBacklog int
	log           *slog.Logger
}

// resolve validates cfg and fills in the defaults.
func resolve(cfg *Config) (*settings, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	sc := cfg.Session
	if sc == nil {
		sc = core.DefaultConfig()
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: evloop: "+format, append([]any{core.ErrInvalidConfig}, args...)...)
	}
	switch {
	case cfg.EventLoops < 0:
		return nil, bad("EventLoops %d < 0", cfg.EventLoops)
	case cfg.ReadBufferCap < 0:
		return nil, bad("ReadBufferCap %d < 0", cfg.ReadBufferCap)
	case cfg.AcceptBacklog < 0:
		return nil, bad("AcceptBacklog %d < 0", cfg.AcceptBacklog)
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
	if s.acceptBacklog == 0 {
		s.acceptBacklog = DefaultAcceptBacklog
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
