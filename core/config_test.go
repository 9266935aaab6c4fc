package core

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/netmux/netmux/core/frame"
)

// The defaults are the ones the Config docs promise, and they are valid.
func TestDefaultConfig(t *testing.T) {
	want := Config{
		MaxFrameSize:       65536,
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
	c := DefaultConfig()
	if *c != want {
		t.Errorf("DefaultConfig() = %+v\nwant %+v", *c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}
	if DefaultConfig() == c {
		t.Error("DefaultConfig returned the same *Config twice; callers may change it")
	}
}

// Every rejection names the offending field and wraps ErrInvalidConfig.
func TestValidateRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		field  string
		mutate func(*Config)
	}{
		{"frame below 1 KiB", "MaxFrameSize", func(c *Config) { c.MaxFrameSize = 1023 }},
		{"frame above 16 MiB", "MaxFrameSize", func(c *Config) { c.MaxFrameSize = 16<<20 + 1 }},
		{"no streams", "MaxStreams", func(c *Config) { c.MaxStreams = 0 }},
		{"no backlog", "AcceptBacklog", func(c *Config) { c.AcceptBacklog = 0 }},
		{"negative keepalive", "KeepAliveInterval", func(c *Config) { c.KeepAliveInterval = -time.Second }},
		{"keepalive without timeout", "KeepAliveTimeout", func(c *Config) { c.KeepAliveTimeout = 0 }},
		{"keepalive with negative timeout", "KeepAliveTimeout", func(c *Config) { c.KeepAliveTimeout = -time.Second }},
		{"stream window below the initial", "MaxStreamWindow", func(c *Config) { c.MaxStreamWindow = frame.InitialWindow - 1 }},
		{"stream window above 1 GiB", "MaxStreamWindow", func(c *Config) { c.MaxStreamWindow = 1<<30 + 1 }},
		{"negative session window", "MaxSessionWindow", func(c *Config) { c.MaxSessionWindow = -1 }},
		{"send buffer below a frame", "MaxSendBuffer", func(c *Config) { c.MaxSendBuffer = c.MaxFrameSize - 1 }},
		{"negative close timeout", "StreamCloseTimeout", func(c *Config) { c.StreamCloseTimeout = -time.Second }},
		{"no write timeout", "WriteTimeout", func(c *Config) { c.WriteTimeout = 0 }},
		{"negative write timeout", "WriteTimeout", func(c *Config) { c.WriteTimeout = -time.Second }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mutate(c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Validate() = %v; want ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("Validate() = %q; want it to name %s", err, tc.field)
			}
			if _, err := resolve(c); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("resolve() = %v; want ErrInvalidConfig", err)
			}
		})
	}
}

// The documented edges and zero meanings are accepted.
func TestValidateAccepts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
	}{
		{"smallest frame", func(c *Config) { c.MaxFrameSize = 1024 }},
		{"largest frame", func(c *Config) { c.MaxFrameSize, c.MaxSendBuffer = 16<<20, 16<<20 }},
		{"one stream", func(c *Config) { c.MaxStreams, c.AcceptBacklog = 1, 1 }},
		{"keepalive off, no timeout", func(c *Config) { c.KeepAliveInterval, c.KeepAliveTimeout = 0, 0 }},
		{"auto-tuning off", func(c *Config) { c.MaxStreamWindow = frame.InitialWindow }},
		{"largest stream window", func(c *Config) { c.MaxStreamWindow = 1 << 30 }},
		{"no session growth", func(c *Config) { c.MaxSessionWindow = 0 }},
		{"send buffer of one frame", func(c *Config) { c.MaxSendBuffer = c.MaxFrameSize }},
		{"close waits for ever", func(c *Config) { c.StreamCloseTimeout = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mutate(c)
			if err := c.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

// A zero field is not its default: an empty Config is rejected, not
// silently filled in.
func TestZeroConfigRejected(t *testing.T) {
	if err := new(Config).Validate(); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("Config{}.Validate() = %v; want ErrInvalidConfig", err)
	}
}

// resolve: nil means the defaults; a Config is copied, so the caller may
// change or reuse it afterwards; a nil Logger becomes a discarding one.
func TestResolve(t *testing.T) {
	c, err := resolve(nil)
	if err != nil {
		t.Fatalf("resolve(nil) = %v", err)
	}
	want := *DefaultConfig()
	want.Logger = discardLogger
	if c != want {
		t.Errorf("resolve(nil) = %+v\nwant %+v", c, want)
	}

	cfg := DefaultConfig()
	cfg.MaxStreams = 7
	logger := slog.New(slog.DiscardHandler)
	cfg.Logger = logger
	c, err = resolve(cfg)
	if err != nil {
		t.Fatalf("resolve = %v", err)
	}
	cfg.MaxStreams = 9
	if c.MaxStreams != 7 || c.Logger != logger {
		t.Errorf("resolve = MaxStreams %d, Logger %p; want 7, %p, unaffected by later changes", c.MaxStreams, c.Logger, logger)
	}
	if cfg.Logger != logger {
		t.Error("resolve changed the caller's Config")
	}

	cfg.Logger = nil
	if c, _ = resolve(cfg); c.Logger != discardLogger {
		t.Errorf("resolve with a nil Logger: Logger = %p; want the discarding one", c.Logger)
	}
	if cfg.Logger != nil {
		t.Error("resolve filled in the caller's Logger")
	}
}
