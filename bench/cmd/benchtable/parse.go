package main

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// key names one metric of one implementation in one workload.
type key struct{ workload, impl, unit string }

// sample is one value of a metric and the round it was measured in.
type sample struct {
	round int
	v     float64
}

// results holds every value read for each metric, in input order.
type results struct {
	workloads []string            // in order of first appearance
	impls     []string            // in order of first appearance
	units     map[string][]string // workload -> units, in order of first appearance
	values    map[key][]sample    // one value per run
}

// roundMarker starts a line that opens a round: "# round N". bench/run.sh
// prints one before each round; go test and benchstat ignore it.
const roundMarker = "# round "

// parse reads `go test -bench` output. Lines that are not results of a
// Benchmark<Workload>/<impl> benchmark or round markers are skipped. A
// result belongs to the round of the last marker before it; without
// markers, the i-th result of each benchmark belongs to round i.
func parse(r io.Reader) (*results, error) {
	res := &results{units: map[string][]string{}, values: map[key][]sample{}}
	seenWorkload, seenImpl := map[string]bool{}, map[string]bool{}
	round := -1 // the current marker's round; -1 before the first marker
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), roundMarker); ok {
			if v, err := strconv.Atoi(strings.TrimSpace(n)); err == nil && v >= 0 {
				round = v
			}
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 4 || len(f)%2 != 0 {
			continue
		}
		workload, impl, ok := splitName(f[0])
		if !ok {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue
		}
		metrics := make(map[string]float64, (len(f)-2)/2)
		for i := 2; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				metrics = nil
				break
			}
			metrics[f[i+1]] = v
		}
		if metrics == nil {
			continue
		}
		if !seenWorkload[workload] {
			seenWorkload[workload] = true
			res.workloads = append(res.workloads, workload)
		}
		if !seenImpl[impl] {
			seenImpl[impl] = true
			res.impls = append(res.impls, impl)
		}
		for i := 2; i < len(f); i += 2 {
			unit := f[i+1]
			k := key{workload, impl, unit}
			if !hasUnit(res.units[workload], unit) {
				res.units[workload] = append(res.units[workload], unit)
			}
			rd := round
			if rd < 0 {
				rd = len(res.values[k])
			}
			res.values[k] = append(res.values[k], sample{rd, metrics[unit]})
		}
	}
	return res, sc.Err()
}

func hasUnit(units []string, u string) bool {
	for _, x := range units {
		if x == u {
			return true
		}
	}
	return false
}

// splitName splits "BenchmarkBulk1/smux-v2-8" into "Bulk1" and "smux-v2":
// the "-8" GOMAXPROCS suffix, absent when GOMAXPROCS is 1, is dropped, and
// the implementation is the last path element.
func splitName(name string) (workload, impl string, ok bool) {
	name, ok = strings.CutPrefix(name, "Benchmark")
	if !ok {
		return "", "", false
	}
	if i := strings.LastIndexByte(name, '-'); i >= 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	i := strings.LastIndexByte(name, '/')
	if i <= 0 || i == len(name)-1 {
		return "", "", false
	}
	return name[:i], name[i+1:], true
}
