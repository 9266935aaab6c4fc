package bench

import "testing"

// One Benchmark per workload; each runs a sub-benchmark per implementation.
// What each workload measures is documented on its function and in README.md.

func BenchmarkBulk1(b *testing.B)        { runWorkload(b, bulk1) }
func BenchmarkBulk1Small(b *testing.B)   { runWorkload(b, bulk1Small) }
func BenchmarkBulkN64(b *testing.B)      { runWorkload(b, bulkN64) }
func BenchmarkBulkN1024(b *testing.B)    { runWorkload(b, bulkN1024) }
func BenchmarkRR(b *testing.B)           { runWorkload(b, rr) }
func BenchmarkRRN64(b *testing.B)        { runWorkload(b, rrN64) }
func BenchmarkOpen(b *testing.B)         { runWorkload(b, openClose) }
func BenchmarkBurst(b *testing.B)        { runWorkload(b, burst) }
func BenchmarkIdleStreams(b *testing.B)  { runWorkload(b, idleStreams) }
func BenchmarkIdleSessions(b *testing.B) { runWorkload(b, idleSessions) }
func BenchmarkHighRTT32M(b *testing.B)   { runWorkload(b, highRTT32M, highRTTImpls()...) }
func BenchmarkHighRTT8M(b *testing.B)    { runWorkload(b, highRTT8M, highRTTImpls()...) }
