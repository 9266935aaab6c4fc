package bench

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// bencher is the part of *testing.B a workload uses. TestLeaks runs the
// workloads with a stand-in whose timer and metric methods only record.
type bencher interface {
	testing.TB
	ResetTimer()
	StartTimer()
	StopTimer()
	SetBytes(n int64)
	ReportMetric(n float64, unit string)
}

// job is one run of one workload against one implementation.
type job struct {
	b  bencher
	im impl
	n  int   // iterations: b.N
	sz sizes // workload sizes, from the environment
}

// workload is a named scenario; run does j.n operations of it and reports.
type workload struct {
	name string
	run  func(j job)
	only []string // the implementations it runs on, by name; nil means all
}

// workloads returns every workload, in the order of the summary table.
// Each one has a Benchmark function of the same name in benchmarks_test.go.
func workloads() []workload {
	return []workload{
		{"Bulk1", bulk1, nil},
		{"Bulk1Small", bulk1Small, nil},
		{"BulkN64", bulkN64, nil},
		{"BulkN1024", bulkN1024, nil},
		{"RR", rr, nil},
		{"RRN64", rrN64, nil},
		{"Open", openClose, nil},
		{"Burst", burst, nil},
		{"IdleStreams", idleStreams, nil},
		{"IdleSessions", idleSessions, nil},
		{"HighRTT32M", highRTT32M, highRTTImpls()},
		{"HighRTT8M", highRTT8M, highRTTImpls()},
	}
}

// runWorkload runs run as one sub-benchmark per implementation (those named
// in only, or all if none is), named Workload/impl, with sizes from the
// environment, in the order of the round named by BENCH_ROUND (see
// inRoundOrder; bench/run.sh sets it).
func runWorkload(b *testing.B, run func(j job), only ...string) {
	sz, err := sizesFromEnv()
	if err != nil {
		b.Fatal(err)
	}
	round, err := roundFromEnv(os.Getenv)
	if err != nil {
		b.Fatal(err)
	}
	for _, im := range inRoundOrder(implementationsOf(only), round) {
		b.Run(im.name, func(b *testing.B) {
			b.ReportAllocs()
			run(job{b: b, im: im, n: b.N, sz: sz})
		})
	}
}

// implementationsOf returns the implementations named in only, in table
// order, or all of them if only is empty.
func implementationsOf(only []string) []impl {
	all := implementations()
	if len(only) == 0 {
		return all
	}
	return slices.DeleteFunc(all, func(im impl) bool { return !slices.Contains(only, im.name) })
}

// inRoundOrder returns ims rotated to start at the round-th (1-based,
// cyclically): round 1 runs A B C, round 2 B C A, round 3 C A B. Over the
// rounds every implementation takes every place in the sequence, so none
// always runs first, right after another workload.
func inRoundOrder(ims []impl, round int) []impl {
	k := (round - 1) % len(ims)
	return append(slices.Clone(ims[k:]), ims[:k]...)
}

// roundFromEnv returns the round number in BENCH_ROUND, 1 if unset.
func roundFromEnv(getenv func(string) string) (int, error) {
	v := getenv("BENCH_ROUND")
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("BENCH_ROUND=%q: want a positive integer", v)
	}
	return n, nil
}

func TestInRoundOrder(t *testing.T) {
	ims := []impl{{name: "a"}, {name: "b"}, {name: "c"}}
	names := func(ims []impl) string {
		var s []string
		for _, im := range ims {
			s = append(s, im.name)
		}
		return strings.Join(s, " ")
	}
	for round, want := range map[int]string{1: "a b c", 2: "b c a", 3: "c a b", 4: "a b c", 8: "b c a"} {
		if got := names(inRoundOrder(ims, round)); got != want {
			t.Errorf("round %d: %s, want %s", round, got, want)
		}
	}
	if got := names(ims); got != "a b c" {
		t.Errorf("inRoundOrder changed its argument: %s", got)
	}
	for v, want := range map[string]int{"": 1, "1": 1, "7": 7, "0": 0, "-2": 0, "x": 0} {
		got, err := roundFromEnv(func(string) string { return v })
		if got != want || (err != nil) != (want == 0) {
			t.Errorf("BENCH_ROUND=%q: %d, %v; want %d", v, got, err, want)
		}
	}
}
