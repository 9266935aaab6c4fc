package bench

import "testing"

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
}

// workloads returns every workload, in the order of the summary table.
// Each one has a Benchmark function of the same name in benchmarks_test.go.
func workloads() []workload {
	return []workload{
		{"Bulk1", bulk1},
		{"Bulk1Small", bulk1Small},
		{"BulkN64", bulkN64},
		{"BulkN1024", bulkN1024},
		{"RR", rr},
		{"RRN64", rrN64},
		{"Open", openClose},
		{"Burst", burst},
		{"IdleStreams", idleStreams},
		{"IdleSessions", idleSessions},
	}
}

// runWorkload runs run as one sub-benchmark per implementation, named
// Workload/impl, with sizes from the environment.
func runWorkload(b *testing.B, run func(j job)) {
	sz, err := sizesFromEnv()
	if err != nil {
		b.Fatal(err)
	}
	for _, im := range implementations() {
		b.Run(im.name, func(b *testing.B) {
			b.ReportAllocs()
			run(job{b: b, im: im, n: b.N, sz: sz})
		})
	}
}
