package bench

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// sizes are the knobs of the workloads. fullSizes is the real suite;
// BENCH_SMOKE=1 selects smokeSizes so that one pass of every benchmark
// finishes in seconds; single BENCH_* variables override either.
type sizes struct {
	streams       int           // BulkN64 and RRN64 concurrent streams (BENCH_STREAMS)
	bulkStreams   int           // BulkN1024 concurrent streams (BENCH_BULKN_STREAMS)
	bulkBytes     int           // BulkN1024 bytes per stream (BENCH_BULKN_BYTES)
	burst         int           // Burst streams opened at once (BENCH_BURST)
	idleStreams   int           // IdleStreams streams on one session (BENCH_IDLE_STREAMS)
	idleSessions  int           // IdleSessions sessions (BENCH_IDLE_SESSIONS)
	rttBytes      int           // HighRTT32M bytes per transfer (BENCH_RTT_BYTES)
	rttBytesShort int           // HighRTT8M bytes per transfer (BENCH_RTT_BYTES_SHORT)
	rtt           time.Duration // round trip the HighRTT link adds (BENCH_RTT)
	timeout       time.Duration // watchdog for one run (BENCH_TIMEOUT)
}

func fullSizes() sizes {
	return sizes{
		streams:       64,
		bulkStreams:   1024,
		bulkBytes:     256 << 10,
		burst:         1024,
		idleStreams:   10000,
		idleSessions:  1000,
		rttBytes:      32 << 20,
		rttBytesShort: 8 << 20,
		rtt:           50 * time.Millisecond,
		timeout:       2 * time.Minute,
	}
}

func smokeSizes() sizes {
	return sizes{
		streams:       4,
		bulkStreams:   16,
		bulkBytes:     64 << 10,
		burst:         32,
		idleStreams:   16,
		idleSessions:  8,
		rttBytes:      256 << 10,
		rttBytesShort: 64 << 10,
		rtt:           50 * time.Millisecond,
		timeout:       30 * time.Second,
	}
}

// sizesFromEnv returns the sizes selected by the environment.
func sizesFromEnv() (sizes, error) { return parseSizes(os.Getenv) }

// parseSizes reads the sizes from getenv; see sizes for the variables.
func parseSizes(getenv func(string) string) (sizes, error) {
	sz := fullSizes()
	if v := getenv("BENCH_SMOKE"); v != "" && v != "0" {
		sz = smokeSizes()
	}
	for _, f := range []struct {
		env string
		p   *int
	}{
		{"BENCH_STREAMS", &sz.streams},
		{"BENCH_BULKN_STREAMS", &sz.bulkStreams},
		{"BENCH_BULKN_BYTES", &sz.bulkBytes},
		{"BENCH_BURST", &sz.burst},
		{"BENCH_IDLE_STREAMS", &sz.idleStreams},
		{"BENCH_IDLE_SESSIONS", &sz.idleSessions},
		{"BENCH_RTT_BYTES", &sz.rttBytes},
		{"BENCH_RTT_BYTES_SHORT", &sz.rttBytesShort},
	} {
		v := getenv(f.env)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return sizes{}, fmt.Errorf("%s=%q: want a positive integer", f.env, v)
		}
		*f.p = n
	}
	for _, f := range []struct {
		env string
		p   *time.Duration
	}{
		{"BENCH_RTT", &sz.rtt},
		{"BENCH_TIMEOUT", &sz.timeout},
	} {
		v := getenv(f.env)
		if v == "" {
			continue
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return sizes{}, fmt.Errorf("%s=%q: want a positive duration", f.env, v)
		}
		*f.p = d
	}
	return sz, nil
}

func TestParseSizes(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	smokeWithBurst := smokeSizes()
	smokeWithBurst.burst = 7
	fullWithTimeout := fullSizes()
	fullWithTimeout.timeout = 5 * time.Second
	fullWithRTT := fullSizes()
	fullWithRTT.rtt = 200 * time.Millisecond
	fullWithRTT.rttBytesShort = 1 << 20
	for _, tc := range []struct {
		name    string
		getenv  func(string) string
		want    sizes
		wantErr bool
	}{
		{"default", env(), fullSizes(), false},
		{"smoke off", env("BENCH_SMOKE", "0"), fullSizes(), false},
		{"smoke", env("BENCH_SMOKE", "1"), smokeSizes(), false},
		{"override", env("BENCH_SMOKE", "1", "BENCH_BURST", "7"), smokeWithBurst, false},
		{"timeout", env("BENCH_TIMEOUT", "5s"), fullWithTimeout, false},
		{"rtt", env("BENCH_RTT", "200ms", "BENCH_RTT_BYTES_SHORT", "1048576"), fullWithRTT, false},
		{"not a number", env("BENCH_BURST", "many"), sizes{}, true},
		{"zero", env("BENCH_IDLE_STREAMS", "0"), sizes{}, true},
		{"bad timeout", env("BENCH_TIMEOUT", "-1s"), sizes{}, true},
		{"bad rtt", env("BENCH_RTT", "50"), sizes{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSizes(tc.getenv)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
