package main

import (
	"math"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// canned is trimmed real output: up to three runs of four workloads, with
// the noise that go test prints around results, and no round markers, so
// the i-th run of each benchmark is round i: netmux/best for Bulk1 MB/s is
// the median of 1638.4/1092.27 = 1.5 and 1638.4/1310.72 = 1.25.
const canned = `goos: linux
goarch: amd64
pkg: github.com/netmux/netmux/bench
cpu: AMD EPYC
BenchmarkBulk1/smux-2      	   20000	     60000 ns/op	1092.27 MB/s	  300 B/op	  5 allocs/op
BenchmarkBulk1/smux-2      	   20000	     50000 ns/op	1310.72 MB/s	  300 B/op	  5 allocs/op
BenchmarkBulk1/smux-2      	   20000	     70000 ns/op	 936.23 MB/s	  300 B/op	  7 allocs/op
BenchmarkBulk1/yamux-2     	   20000	     80000 ns/op	 819.20 MB/s	  900 B/op	  9 allocs/op
BenchmarkBulk1/yamux-2     	   20000	     80000 ns/op	 819.20 MB/s	  900 B/op	  9 allocs/op
BenchmarkBulk1/netmux-2    	   20000	     40000 ns/op	1638.40 MB/s	    0 B/op	  0 allocs/op
BenchmarkBulk1/netmux-2    	   20000	     40000 ns/op	1638.40 MB/s	    0 B/op	  0 allocs/op
BenchmarkBulk1/tcp-2       	   20000	     20000 ns/op	3276.80 MB/s	    0 B/op	  0 allocs/op
BenchmarkBulk1/tcp-2       	   20000	     20000 ns/op	3276.80 MB/s	    0 B/op	  0 allocs/op
BenchmarkRR/smux-2         	   50000	     30000 ns/op	  25.00 p50-µs	  60.00 p99-µs	  100 B/op	  2 allocs/op
BenchmarkRR/yamux-2        	   50000	     20000 ns/op	  18.00 p50-µs	  90.00 p99-µs	  100 B/op	  2 allocs/op
BenchmarkRR/netmux-2       	   50000	     10000 ns/op	   9.00 p50-µs	  45.00 p99-µs	    0 B/op	  0 allocs/op
--- FAIL: BenchmarkBurst/yamux
    workloads_open_test.go:54: yamux: burst: interrupted
BenchmarkBurst/smux-2      	     100	   2000000 ns/op	         0 lost	 1000 B/op	 10 allocs/op
BenchmarkBurst/netmux-2    	     100	   1000000 ns/op	         3 lost	 1000 B/op	 10 allocs/op
BenchmarkIdleStreams/tcp   	       1	 900000000 ns/op	      706.0 B/stream	  0 goroutines/stream	 1 B/op	 1 allocs/op
PASS
ok  	github.com/netmux/netmux/bench	12.3s
`

func TestTable(t *testing.T) {
	peers := []string{"smux", "smux-v2", "yamux", "go-yamux"}
	for _, tc := range []struct {
		name  string
		input string
		want  string
	}{
		{
			name:  "with netmux",
			input: canned,
			want: `| workload    | metric            |   smux |  yamux | netmux |   tcp | netmux/best | netmux/tcp |
| ----------- | ----------------- | -----: | -----: | -----: | ----: | ----------: | ---------: |
| Bulk1       | MB/s              |   1092 |    819 |   1638 |  3277 |       1.37x |      0.50x |
| Bulk1       | allocs/op         |   5.00 |   9.00 |      0 |     0 |       0.00x |          - |
| RR          | time/op           | 30.0µs | 20.0µs | 10.0µs |     - |       0.50x |          - |
| RR          | p50-µs            |   25.0 |   18.0 |   9.00 |     - |       0.50x |          - |
| RR          | p99-µs            |   60.0 |   90.0 |   45.0 |     - |       0.75x |          - |
| RR          | allocs/op         |   2.00 |   2.00 |      0 |     - |       0.00x |          - |
| Burst       | time/op           | 2.00ms |      - | 1.00ms |     - |       0.50x |          - |
| Burst       | lost              |      0 |      - |   3.00 |     - |           - |          - |
| Burst       | allocs/op         |   10.0 |      - |   10.0 |     - |       1.00x |          - |
| IdleStreams | time/op           |      - |      - |      - | 900ms |           - |          - |
| IdleStreams | B/stream          |      - |      - |      - |   706 |           - |          - |
| IdleStreams | goroutines/stream |      - |      - |      - |     0 |           - |          - |
| IdleStreams | allocs/op         |      - |      - |      - |  1.00 |           - |          - |

Cells are medians of 3 run(s). MB/s: higher is better; every other metric: lower is better.
netmux/best = median over rounds of netmux ÷ the best of smux, yamux in the same round ("-" when undefined, e.g. a best of 0).
netmux/tcp = median over rounds of netmux ÷ tcp in the same round.
`,
		},
		{
			name:  "without netmux",
			input: "BenchmarkOpen/smux-2 1000 5000 ns/op 40 allocs/op\nBenchmarkOpen/smux-v2-2 1000 7000 ns/op 41 allocs/op\n",
			want: `| workload | metric    |   smux | smux-v2 |
| -------- | --------- | -----: | ------: |
| Open     | time/op   | 5.00µs |  7.00µs |
| Open     | allocs/op |   40.0 |    41.0 |

Cells are medians of 1 run(s). MB/s: higher is better; every other metric: lower is better.
No ratio column: no results for the reference implementation.
`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := parse(strings.NewReader(tc.input))
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			if err := build(res, "netmux", peers, "tcp").render(&out); err != nil {
				t.Fatal(err)
			}
			if got := out.String(); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestSplitName(t *testing.T) {
	for _, tc := range []struct {
		in, workload, impl string
		ok                 bool
	}{
		{"BenchmarkBulk1/smux-2", "Bulk1", "smux", true},
		{"BenchmarkBulk1/smux-v2-2", "Bulk1", "smux-v2", true},
		{"BenchmarkBulk1/smux-v2", "Bulk1", "smux-v2", true}, // GOMAXPROCS=1
		{"BenchmarkRRN64/go-yamux-16", "RRN64", "go-yamux", true},
		{"BenchmarkMux/Open/tcp-2", "Mux/Open", "tcp", true},
		{"BenchmarkDecode-2", "", "", false},
		{"BenchmarkBulk1/-2", "", "", false},
		{"TestLeaks", "", "", false},
	} {
		w, i, ok := splitName(tc.in)
		if w != tc.workload || i != tc.impl || ok != tc.ok {
			t.Errorf("splitName(%q) = %q, %q, %v; want %q, %q, %v", tc.in, w, i, ok, tc.workload, tc.impl, tc.ok)
		}
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{7}, 7},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestRoundRatios checks the arithmetic of the ratio columns on a run whose
// machine slows down from round to round: the ratios are taken within each
// round (best peer of that round), then their median; a round missing a
// value is left out, not paired with another round's, and so is a value
// below 0 (memory deltas) or a divisor of 0.
func TestRoundRatios(t *testing.T) {
	// Per round: BulkN64 MB/s and cpu-s/GiB, IdleStreams stack-B/stream.
	// smux failed BulkN64 in round 2, tcp did not run in round 5, round 3's
	// best peer is go-yamux.
	input := `goos: linux
# round 1
BenchmarkBulkN64/netmux-2 100 1 ns/op 1000 MB/s 1.0 cpu-s/GiB
BenchmarkBulkN64/smux-2 100 1 ns/op 800 MB/s 2.0 cpu-s/GiB
BenchmarkBulkN64/go-yamux-2 100 1 ns/op 500 MB/s 4.0 cpu-s/GiB
BenchmarkBulkN64/tcp-2 100 1 ns/op 2000 MB/s 0.5 cpu-s/GiB
BenchmarkIdleStreams/netmux-2 1 1 ns/op 0 stack-B/stream
BenchmarkIdleStreams/smux-2 1 1 ns/op 100 stack-B/stream
BenchmarkIdleStreams/go-yamux-2 1 1 ns/op -5 stack-B/stream
BenchmarkIdleStreams/tcp-2 1 1 ns/op 0 stack-B/stream
# round 2
BenchmarkBulkN64/netmux-2 100 1 ns/op 900 MB/s 1.0 cpu-s/GiB
--- FAIL: BenchmarkBulkN64/smux
BenchmarkBulkN64/go-yamux-2 100 1 ns/op 1000 MB/s 2.0 cpu-s/GiB
BenchmarkBulkN64/tcp-2 100 1 ns/op 1000 MB/s 0.5 cpu-s/GiB
BenchmarkIdleStreams/netmux-2 1 1 ns/op -3 stack-B/stream
BenchmarkIdleStreams/smux-2 1 1 ns/op 100 stack-B/stream
BenchmarkIdleStreams/go-yamux-2 1 1 ns/op 100 stack-B/stream
BenchmarkIdleStreams/tcp-2 1 1 ns/op 100 stack-B/stream
# round 3
BenchmarkBulkN64/netmux-2 100 1 ns/op 600 MB/s 1.0 cpu-s/GiB
BenchmarkBulkN64/smux-2 100 1 ns/op 400 MB/s 2.0 cpu-s/GiB
BenchmarkBulkN64/go-yamux-2 100 1 ns/op 500 MB/s 3.0 cpu-s/GiB
BenchmarkBulkN64/tcp-2 100 1 ns/op 800 MB/s 0.5 cpu-s/GiB
BenchmarkIdleStreams/netmux-2 1 1 ns/op 50 stack-B/stream
BenchmarkIdleStreams/smux-2 1 1 ns/op 100 stack-B/stream
BenchmarkIdleStreams/go-yamux-2 1 1 ns/op 25 stack-B/stream
BenchmarkIdleStreams/tcp-2 1 1 ns/op 100 stack-B/stream
# round 4
BenchmarkBulkN64/netmux-2 100 1 ns/op 300 MB/s 1.0 cpu-s/GiB
BenchmarkBulkN64/smux-2 100 1 ns/op 100 MB/s 4.0 cpu-s/GiB
BenchmarkBulkN64/go-yamux-2 100 1 ns/op 200 MB/s 5.0 cpu-s/GiB
BenchmarkBulkN64/tcp-2 100 1 ns/op 300 MB/s 0.5 cpu-s/GiB
BenchmarkIdleStreams/netmux-2 1 1 ns/op 10 stack-B/stream
BenchmarkIdleStreams/smux-2 1 1 ns/op 20 stack-B/stream
BenchmarkIdleStreams/go-yamux-2 1 1 ns/op 40 stack-B/stream
BenchmarkIdleStreams/tcp-2 1 1 ns/op 10 stack-B/stream
# round 5
BenchmarkBulkN64/netmux-2 100 1 ns/op 200 MB/s 1.0 cpu-s/GiB
BenchmarkBulkN64/smux-2 100 1 ns/op 250 MB/s 0.8 cpu-s/GiB
BenchmarkBulkN64/go-yamux-2 100 1 ns/op 100 MB/s 4.0 cpu-s/GiB
BenchmarkIdleStreams/netmux-2 1 1 ns/op 10 stack-B/stream
BenchmarkIdleStreams/smux-2 1 1 ns/op 10 stack-B/stream
BenchmarkIdleStreams/go-yamux-2 1 1 ns/op 0 stack-B/stream
`
	res, err := parse(strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	tab := build(res, "netmux", []string{"smux", "yamux", "go-yamux"}, "tcp")
	for _, tc := range []struct {
		workload, unit string
		netmux         float64 // median of netmux's values
		vsBest, vsBase float64
	}{
		// to best: 1000/800, 900/1000, 600/500, 300/200, 200/250
		//        = 1.25, 0.9, 1.2, 1.5, 0.8 -> 1.2
		// to tcp: 0.5, 0.9, 0.75, 1.0 -> (0.75+0.9)/2
		// (the ratios of the medians would be 600/400 = 1.5 and 600/900)
		{"BulkN64", "MB/s", 600, 1.2, 0.825},
		// Lower is better, so the best peer is the lowest.
		// to best: 1/2, 1/2, 1/2, 1/4, 1/0.8 -> 0.5; to tcp: 2, 2, 2, 2
		{"BulkN64", "cpu-s/GiB", 1, 0.5, 2},
		// Negative values are left out of the ratios, and so are rounds
		// whose divisor is 0. to best: round 1 0/100 (go-yamux's -5 left
		// out), round 2 none (netmux -3), round 3 50/25, round 4 10/20,
		// round 5 none (best 0) -> 0, 2, 0.5 -> 0.5. to tcp: round 1 none
		// (0), round 3 0.5, round 4 1 -> 0.75.
		{"IdleStreams", "stack-B/stream", 10, 0.5, 0.75},
	} {
		var r row
		for _, x := range tab.rows {
			if x.workload == tc.workload && x.unit == tc.unit {
				r = x
			}
		}
		if r.unit == "" {
			t.Errorf("no %s %s row", tc.workload, tc.unit)
			continue
		}
		near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
		if got := r.cells[slices.Index(tab.impls, "netmux")]; !near(got, tc.netmux) {
			t.Errorf("%s %s: netmux median = %v, want %v", tc.workload, tc.unit, got, tc.netmux)
		}
		if !near(r.vsBest, tc.vsBest) || !near(r.vsBase, tc.vsBase) {
			t.Errorf("%s %s: netmux/best, netmux/tcp = %v, %v; want %v, %v",
				tc.workload, tc.unit, r.vsBest, r.vsBase, tc.vsBest, tc.vsBase)
		}
	}
}
