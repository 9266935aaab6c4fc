package evloop

import (
	"context"
	"fmt"
	"log/slog"
)

// gnetLogger routes gnet's diagnostics to a slog.Logger. gnet's Info
// messages (engine start and stop) are chatter for a library user, so they
// go out at Debug level.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) logf(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if g.l.Enabled(ctx, level) {
		g.l.Log(ctx, level, "gnet: "+fmt.Sprintf(format, args...))
	}
}

func (g gnetLogger) Debugf(format string, args ...any) { g.logf(slog.LevelDebug, format, args) }
func (g gnetLogger) Infof(format string, args ...any)  { g.logf(slog.LevelDebug, format, args) }
func (g gnetLogger) Warnf(format string, args ...any)  { g.logf(slog.LevelWarn, format, args) }
func (g gnetLogger) Errorf(format string, args ...any) { g.logf(slog.LevelError, format, args) }

// Fatalf logs at Error level: a library must not end the process.
func (g gnetLogger) Fatalf(format string, args ...any) { g.logf(slog.LevelError, format, args) }
