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
	"MB/s", "ns/op", "p50-µs", "p99-µs", "lost",
	"B/stream", "stack-B/stream", "goroutines/stream",
	"B/session", "stack-B/session", "goroutines/session",
	"allocs/op",
}

// higherIsBetter reports whether a larger value of unit is better: rates.
func higherIsBetter(unit string) bool { return strings.HasSuffix(unit, "/s") }

// table is the summary: rows of medians, one column per implementation.
type table struct {
	impls  []string
	ref    string   // the ratio's numerator; "" when absent from the input
	peers  []string // the ratio's candidates for "best", as present
	runs   int      // most runs seen for any metric
	rows   []row
	hidden int // rows without a value for any implementation
}

// row is one workload's metric.
type row struct {
	workload, unit string
	cells          []float64 // per impl; NaN when missing
	ratio          float64   // ref over best peer; NaN when not defined
}

// build computes the medians and ratios of res. The ratio column exists
// only if ref is among the implementations.
func build(res *results, ref string, peers []string) table {
	t := table{impls: res.impls}
	if slices.Contains(res.impls, ref) {
		t.ref = ref
	}
	for _, p := range peers {
		if p != ref && slices.Contains(res.impls, p) {
			t.peers = append(t.peers, p)
		}
	}
	for _, w := range res.workloads {
		for _, unit := range rowUnits(res.units[w]) {
			r := row{workload: w, unit: unit, ratio: math.NaN()}
			found := false
			for _, impl := range res.impls {
				vs := res.values[key{w, impl, unit}]
				t.runs = max(t.runs, len(vs))
				m := median(vs)
				found = found || !math.IsNaN(m)
				r.cells = append(r.cells, m)
			}
			if !found {
				t.hidden++
				continue
			}
			if t.ref != "" {
				r.ratio = t.ratio(r, unit)
			}
			t.rows = append(t.rows, r)
		}
	}
	return t
}

// ratio returns ref's value over the best peer's for row r.
func (t table) ratio(r row, unit string) float64 {
	refV := r.cells[slices.Index(t.impls, t.ref)]
	best := math.NaN()
	for _, p := range t.peers {
		v := r.cells[slices.Index(t.impls, p)]
		switch {
		case math.IsNaN(v):
		case math.IsNaN(best),
			higherIsBetter(unit) && v > best,
			!higherIsBetter(unit) && v < best:
			best = v
		}
	}
	if math.IsNaN(refV) || math.IsNaN(best) || best == 0 {
		return math.NaN()
	}
	return refV / best
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
			line = append(line, formatRatio(r.ratio))
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
		fmt.Fprintf(&b, "%s/best = %s ÷ the best of %s for that metric (\"-\" when undefined, e.g. a best of 0).\n",
			t.ref, t.ref, strings.Join(t.peers, ", "))
	} else {
		fmt.Fprintf(&b, "No ratio column: no results for the reference implementation.\n")
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
