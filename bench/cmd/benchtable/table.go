package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// keyUnits are the metrics worth a row, in row order; any other unit the
// suite reports follows them. B/op is left to benchstat, and ns/op is
// dropped where MB/s says the same thing.
var keyUnits = []string{
	"MB/s", "ns/op", "p50-µs", "p99-µs", "cpu-s/GiB", "cpu-µs/rt", "lost",
	"B/stream", "stack-B/stream", "goroutines/stream",
	"B/session", "stack-B/session", "goroutines/session",
	"allocs/op",
}

// higherIsBetter reports whether a larger value of unit is better: rates.
func higherIsBetter(unit string) bool { return strings.HasSuffix(unit, "/s") }

// table is the summary: rows of medians, one column per implementation,
// and the reference's ratios to the best peer and to the base.
type table struct {
	impls []string
	ref   string   // the ratios' numerator; "" when absent from the input
	peers []string // the candidates for "best peer", as present
	base  string   // the second ratio's denominator; "" when absent
	runs  int      // most runs seen for any metric
	rows  []row
}

// row is one workload's metric.
type row struct {
	workload, unit string
	cells          []float64 // per impl, the median of its runs; NaN when missing
	vsBest, vsBase float64   // medians of the per-round ratios; NaN when not defined
}

// build computes the medians and ratios of res. The ratio columns exist
// only if ref (and, for the second, base) is among the implementations.
func build(res *results, ref string, peers []string, base string) table {
	t := table{impls: res.impls}
	if slices.Contains(res.impls, ref) {
		t.ref = ref
		if base != ref && slices.Contains(res.impls, base) {
			t.base = base
		}
	}
	for _, p := range peers {
		if p != ref && slices.Contains(res.impls, p) {
			t.peers = append(t.peers, p)
		}
	}
	for _, w := range res.workloads {
		for _, unit := range rowUnits(res.units[w]) {
			r := row{workload: w, unit: unit, vsBest: math.NaN(), vsBase: math.NaN()}
			found := false
			for _, impl := range res.impls {
				vs := res.values[key{w, impl, unit}]
				t.runs = max(t.runs, len(vs))
				m := median(valuesOf(vs))
				found = found || !math.IsNaN(m)
				r.cells = append(r.cells, m)
			}
			if !found {
				continue
			}
			if t.ref != "" {
				r.vsBest, r.vsBase = t.ratios(res, w, unit)
			}
			t.rows = append(t.rows, r)
		}
	}
	return t
}

// ratios returns, for one workload's metric, the median over rounds of the
// reference's value divided by the best peer's value in the same round,
// and likewise divided by the base's. A round counts only where both
// values exist and the divisor is above 0; NaN when none does.
func (t table) ratios(res *results, workload, unit string) (vsBest, vsBase float64) {
	byRound := func(impl string) map[int]float64 { return roundValues(res.values[key{workload, impl, unit}]) }
	peers := make([]map[int]float64, len(t.peers))
	for i, p := range t.peers {
		peers[i] = byRound(p)
	}
	var base map[int]float64
	if t.base != "" {
		base = byRound(t.base)
	}
	var toBest, toBase []float64
	for rd, v := range byRound(t.ref) {
		best := math.NaN()
		for _, p := range peers {
			pv, ok := p[rd]
			switch {
			case !ok:
			case math.IsNaN(best),
				higherIsBetter(unit) && pv > best,
				!higherIsBetter(unit) && pv < best:
				best = pv
			}
		}
		if best > 0 { // false for NaN too
			toBest = append(toBest, v/best)
		}
		if bv, ok := base[rd]; ok && bv > 0 {
			toBase = append(toBase, v/bv)
		}
	}
	return median(toBest), median(toBase)
}

// roundValues returns one value per round: the median of the round's
// values, should a round hold more than one. Values below 0 are left out:
// they are the noise of a memory delta around 0, and a ratio with them
// means nothing.
func roundValues(ss []sample) map[int]float64 {
	by := map[int][]float64{}
	for _, s := range ss {
		if s.v >= 0 {
			by[s.round] = append(by[s.round], s.v)
		}
	}
	out := make(map[int]float64, len(by))
	for rd, vs := range by {
		out[rd] = median(vs)
	}
	return out
}

// valuesOf returns the values of ss.
func valuesOf(ss []sample) []float64 {
	vs := make([]float64, len(ss))
	for i, s := range ss {
		vs[i] = s.v
	}
	return vs
}

// rowUnits picks and orders the units of one workload.
func rowUnits(units []string) []string {
	var out []string
	for _, u := range keyUnits {
		if slices.Contains(units, u) && !(u == "ns/op" && slices.Contains(units, "MB/s")) {
			out = append(out, u)
		}
	}
	for _, u := range units {
		if !slices.Contains(keyUnits, u) && u != "B/op" {
			out = append(out, u)
		}
	}
	return out
}

// median returns the median of vs, NaN if empty.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// render writes t as an aligned Markdown table followed by a legend.
func (t table) render(w io.Writer) error {
	header := append([]string{"workload", "metric"}, t.impls...)
	if t.ref != "" {
		header = append(header, t.ref+"/best")
	}
	if t.base != "" {
		header = append(header, t.ref+"/"+t.base)
	}
	cells := [][]string{header}
	for _, r := range t.rows {
		line := []string{r.workload, r.unit}
		format := formatValue
		if r.unit == "ns/op" {
			line[1] = "time/op"
			format = formatNanos
		}
		for _, v := range r.cells {
			line = append(line, format(v))
		}
		if t.ref != "" {
			line = append(line, formatRatio(r.vsBest))
		}
		if t.base != "" {
			line = append(line, formatRatio(r.vsBase))
		}
		cells = append(cells, line)
	}

	widths := make([]int, len(header))
	for _, line := range cells {
		for i, c := range line {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for n, line := range cells {
		writeLine(&b, line, widths)
		if n == 0 {
			rule := make([]string, len(line))
			for i := range rule {
				if i < 2 {
					rule[i] = strings.Repeat("-", widths[i])
				} else {
					rule[i] = strings.Repeat("-", widths[i]-1) + ":"
				}
			}
			writeLine(&b, rule, widths)
		}
	}

	fmt.Fprintf(&b, "\nCells are medians of %d run(s). MB/s: higher is better; every other metric: lower is better.\n", t.runs)
	if t.ref != "" {
		fmt.Fprintf(&b, "%s/best = median over rounds of %s ÷ the best of %s in the same round (\"-\" when undefined, e.g. a best of 0).\n",
			t.ref, t.ref, strings.Join(t.peers, ", "))
	} else {
		fmt.Fprintf(&b, "No ratio column: no results for the reference implementation.\n")
	}
	if t.base != "" {
		fmt.Fprintf(&b, "%s/%s = median over rounds of %s ÷ %s in the same round.\n", t.ref, t.base, t.ref, t.base)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeLine writes one table line: text columns left-aligned, numbers right.
func writeLine(b *strings.Builder, line []string, widths []int) {
	b.WriteString("|")
	for i, c := range line {
		pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
		if i < 2 {
			b.WriteString(" " + c + pad + " |")
		} else {
			b.WriteString(" " + pad + c + " |")
		}
	}
	b.WriteString("\n")
}

// formatValue prints about three significant digits without exponents for
// the magnitudes the suite produces.
func formatValue(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v):
		return "-"
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3g", v)
	}
}

// formatNanos prints a duration in nanoseconds with a readable unit, as
// "31.2µs" or "1.50s".
func formatNanos(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v):
		return "-"
	case a < 1e3:
		return formatValue(v) + "ns"
	case a < 1e6:
		return formatValue(v/1e3) + "µs"
	case a < 1e9:
		return formatValue(v/1e6) + "ms"
	default:
		return formatValue(v/1e9) + "s"
	}
}

// formatRatio prints a ratio as "1.23x".
func formatRatio(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.2fx", v)
}
