package bench

import (
	"slices"
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
// environment.
func runWorkload(b *testing.B, run func(j job), only ...string) {
	sz, err := sizesFromEnv()
	if err != nil {
		b.Fatal(err)
	}
	for _, im := range implementationsOf(only) {
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
