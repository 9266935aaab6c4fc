// Package bench is netmux's side-by-side benchmark suite: the same workload
// code drives netmux, xtaci/smux, hashicorp/yamux, libp2p/go-yamux and raw
// TCP over loopback, so their numbers can be read in one table.
//
// The only non-test code is the adapter layer: impls.go lists the
// implementations and impl_*.go give each of them the three-method
// [session] surface the workloads use. The workloads, the harness and the
// Benchmark functions are in the _test.go files; bench/run.sh runs the suite
// and bench/cmd/benchtable summarises its output. See README.md.
package bench
