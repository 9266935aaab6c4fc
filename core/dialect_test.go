package core_test

import (
	"errors"
	"net"
	"testing"

	"github.com/netmux/netmux/core"
)

// net-mux is the default dialect; an undefined one is a config error, and
// Client leaves the connection open then.
func TestDialectConfig(t *testing.T) {
	if d := core.DefaultConfig().Dialect; d != core.DialectNetMux || d.String() != "net-mux" {
		t.Fatalf("default Dialect %v; want net-mux", d)
	}
	if s := core.DialectYamux.String(); s != "yamux" {
		t.Fatalf("DialectYamux.String() = %q", s)
	}
	if s := (core.DialectYamux + 1).String(); s != "Dialect(2)" {
		t.Fatalf("undefined Dialect's String() = %q", s)
	}
	cfg := core.DefaultConfig()
	cfg.Dialect = core.DialectYamux + 1
	if err := cfg.Validate(); !errors.Is(err, core.ErrInvalidConfig) {
		t.Fatalf("Validate with Dialect %d: %v; want ErrInvalidConfig", cfg.Dialect, err)
	}
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	if _, err := core.Client(c1, cfg); !errors.Is(err, core.ErrInvalidConfig) {
		t.Fatalf("Client with Dialect %d: %v; want ErrInvalidConfig", cfg.Dialect, err)
	}
}
