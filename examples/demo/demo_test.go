package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/netmux/netmux/examples/internal/transports"
)

// gnet (behind the gnet transport) starts its worker pool's goroutines when
// the package loads; they are there before any test and are no leak.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }

// TestDemo runs the demo, scaled down, over every transport: every
// download verified, everything it started stopped.
func TestDemo(t *testing.T) {
	files := makeFiles([]int{0, 1000, 100 << 10, 1 << 20})
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	for _, name := range transports.Names() {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var out strings.Builder
			s := runOne(ctx, name, load{files: files, workers: 8, requests: 24}, &out, false, log)
			if s.err != nil {
				t.Fatalf("%v\n%s", s.err, out.String())
			}
			if s.res.requests != 24 || s.res.bytes != 6*(1000+100<<10+1<<20) {
				t.Fatalf("%d requests moved %d bytes", s.res.requests, s.res.bytes)
			}
			if got := strings.Count(out.String(), "\n"); got != 10 {
				t.Errorf("printed %d progress lines, want one per 10%%:\n%s", got, out.String())
			}
			// A closed session over KCP lingers for a moment: goleak
			// must look after that.
			if err := transports.AwaitKCPClosed(time.Minute); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFetchDetectsCorruption checks that a download differing from the
// expected file in one byte, or in length, is reported.
func TestFetchDetectsCorruption(t *testing.T) {
	f := makeFiles([]int{4096})[0]
	bad := append([]byte(nil), f.data...)
	bad[100] ^= 1
	for name, body := range map[string][]byte{"flipped": bad, "short": f.data[:4000], "exact": f.data} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
			defer srv.Close()
			_, err := fetch(context.Background(), srv.Client(), srv.URL, f)
			if (err == nil) != (name == "exact") {
				t.Fatalf("fetch: %v", err)
			}
		})
	}
}

func TestParseSizes(t *testing.T) {
	got, err := parseSizes("64KiB, 8MiB,1000,1GiB,0B")
	want := []int{64 << 10, 8 << 20, 1000, 1 << 30, 0}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("parseSizes = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "12abc", "-1", "2GiB", "KiB"} {
		if _, err := parseSizes(bad); err == nil {
			t.Errorf("parseSizes(%q) accepted", bad)
		}
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50}, {99, 99}, {100, 100}, {1, 1}} {
		if got := percentile(d, c.p); got != c.want {
			t.Errorf("percentile(1..100, %v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile(nil) = %v", got)
	}
}
