package evloop

import (
	"runtime"
	"testing"

	"github.com/netmux/netmux/core"
	"github.com/netmux/netmux/core/frame"
)

// A nil Config is DefaultConfig, whose values are the documented ones;
// the zero EventLoops and ReadBufferCap mean one loop per CPU and one
// full frame of the session's size.
func TestResolveDefaults(t *testing.T) {
	for name, cfg := range map[string]*Config{"nil": nil, "DefaultConfig": DefaultConfig()} {
		s, err := resolve(cfg)
		if err != nil {
			t.Fatalf("%s: resolve = %v", name, err)
		}
		want := settings{
			sess:          *core.DefaultConfig(),
			loops:         runtime.NumCPU(),
			readBufCap:    frame.HeaderSize + frame.DefaultMaxFrameSize,
			acceptBacklog: 4096,
			log:           s.log,
		}
		if *s != want || s.log == nil {
			t.Errorf("%s: resolve = %+v\nwant %+v and a logger", name, *s, want)
		}
	}
}

// Fields that are set are kept; the read buffer follows the session's
// frame size when left at zero.
func TestResolveKeepsSettings(t *testing.T) {
	sc := core.DefaultConfig()
	sc.MaxFrameSize, sc.MaxSendBuffer = 16<<10, 1<<20
	cfg := DefaultConfig()
	cfg.Session, cfg.EventLoops, cfg.AcceptBacklog = sc, 3, 1
	s, err := resolve(cfg)
	if err != nil {
		t.Fatalf("resolve = %v", err)
	}
	if s.sess != *sc || s.loops != 3 || s.acceptBacklog != 1 {
		t.Errorf("resolve = %+v; want the settings given", *s)
	}
	if want := frame.HeaderSize + 16<<10; s.readBufCap != want {
		t.Errorf("readBufCap = %d; want %d", s.readBufCap, want)
	}
	cfg.ReadBufferCap = 4096
	if s, _ = resolve(cfg); s.readBufCap != 4096 {
		t.Errorf("readBufCap = %d; want 4096 as set", s.readBufCap)
	}
}
