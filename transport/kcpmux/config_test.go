package kcpmux

import (
	"errors"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	bad := map[string]func(*Config){
		"zero interval":     func(c *Config) { c.Profile.Interval = 0 },
		"slow interval":     func(c *Config) { c.Profile.Interval = 6 * time.Second },
		"negative resend":   func(c *Config) { c.Profile.Resend = -1 },
		"zero send window":  func(c *Config) { c.SendWindow = 0 },
		"huge recv window":  func(c *Config) { c.RecvWindow = 1 << 16 },
		"tiny MTU":          func(c *Config) { c.MTU = 40 },
		"MTU over 1500":     func(c *Config) { c.MTU = 1501 },
		"MTU with overhead": func(c *Config) { c.MTU, c.Crypt, c.Passphrase, c.DataShards, c.ParityShards = 1480, "aes", "k", 10, 3 },
		"negative buffer":   func(c *Config) { c.SocketBuffer = -1 },
		"data shards only":  func(c *Config) { c.DataShards = 10 },
		"negative shards":   func(c *Config) { c.DataShards, c.ParityShards = -1, -1 },
		"too many shards":   func(c *Config) { c.DataShards, c.ParityShards = 200, 100 },
		"unknown crypt":     func(c *Config) { c.Crypt, c.Passphrase = "rot13", "k" },
		"crypt without key": func(c *Config) { c.Crypt = "aes" },
		"negative linger":   func(c *Config) { c.Linger = -time.Second },
		"DSCP over 63":      func(c *Config) { c.DSCP = 64 },
		"bad mux":           func(c *Config) { c.Mux = DefaultMuxConfig(); c.Mux.MaxFrameSize = 10 },
	}
	for name, mutate := range bad {
		c := DefaultConfig()
		mutate(c)
		if err := c.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: Validate = %v; want ErrInvalidConfig", name, err)
		}
	}
	ok := DefaultConfig()
	ok.MTU, ok.Crypt, ok.DataShards, ok.ParityShards = 1472, "none", 10, 3
	if err := ok.Validate(); err != nil {
		t.Errorf("largest MTU with crypt and FEC: %v", err)
	}
}

func TestProfileByName(t *testing.T) {
	for name, want := range map[string]Profile{
		"normal": ProfileNormal(),
		"fast":   ProfileFast(),
		"fast2":  ProfileFast2(),
		"fast3":  ProfileFast3(),
	} {
		got, err := ProfileByName(name)
		if err != nil || got != want {
			t.Errorf("ProfileByName(%q) = %+v, %v; want %+v", name, got, err, want)
		}
		if err := got.validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := ProfileByName("turbo"); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("ProfileByName(turbo) = %v; want ErrInvalidConfig", err)
	}
	nodelay, interval, resend, nc := ProfileFast3().args()
	if nodelay != 1 || interval != 10 || resend != 2 || nc != 1 {
		t.Errorf("fast3 args = %d, %d, %d, %d; want 1, 10, 2, 1", nodelay, interval, resend, nc)
	}
}

func TestResolveDefaults(t *testing.T) {
	st, err := resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mux == nil || st.Mux.KeepAliveInterval != DefaultMuxConfig().KeepAliveInterval {
		t.Errorf("nil Config: Mux = %+v; want DefaultMuxConfig()", st.Mux)
	}
	if st.block != nil {
		t.Error("nil Config: a cipher without Crypt")
	}
}
