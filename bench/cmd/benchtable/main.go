// Command benchtable summarises the output of the bench suite side by side:
// one row per workload and key metric, one column per implementation
// holding the median of its runs, and two ratio columns: netmux over the
// best of its peers and netmux over raw TCP, each the median of the ratios
// taken round by round (bench/run.sh runs every implementation once per
// round, in turn, and marks each round with a "# round N" line).
//
// Usage, from the bench directory (its own module):
//
//	go run ./cmd/benchtable [-ref netmux] [-peers smux,smux-v2,yamux,go-yamux] [-base tcp] [file ...]
//
// With no file it reads standard input. Benchmark names must follow the
// suite's Benchmark<Workload>/<impl> scheme; other lines are ignored.
// Without round markers, the i-th result of each benchmark counts as
// round i.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	ref := flag.String("ref", "netmux", "implementation whose ratios to the best peer and to the base are shown")
	peers := flag.String("peers", "smux,smux-v2,yamux,go-yamux", "comma-separated implementations the reference is compared with")
	base := flag.String("base", "tcp", "implementation the reference is also compared with: the physical limit")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: benchtable [flags] [file ...]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(os.Stdout, flag.Args(), *ref, strings.Split(*peers, ","), *base); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

// run reads every file (standard input if none) and writes the table to w.
func run(w io.Writer, files []string, ref string, peers []string, base string) error {
	var in io.Reader = os.Stdin
	if len(files) > 0 {
		readers := make([]io.Reader, 0, len(files))
		for _, name := range files {
			f, err := os.Open(name)
			if err != nil {
				return err
			}
			defer f.Close()
			readers = append(readers, f)
		}
		in = io.MultiReader(readers...)
	}
	res, err := parse(in)
	if err != nil {
		return err
	}
	if len(res.workloads) == 0 {
		return errors.New("no benchmark results in input")
	}
	return build(res, ref, peers, base).render(w)
}
