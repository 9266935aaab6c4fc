// Command benchtable summarises the output of the bench suite side by side:
// one row per workload and key metric, one column per implementation
// holding the median over the -count runs, and a last column with the ratio
// of netmux to the best of its peers.
//
// Usage, from the bench directory (its own module):
//
//	go run ./cmd/benchtable [-ref netmux] [-peers smux,smux-v2,yamux,go-yamux] [file ...]
//
// With no file it reads standard input. Benchmark names must follow the
// suite's Benchmark<Workload>/<impl> scheme; other lines are ignored.
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
	ref := flag.String("ref", "netmux", "implementation whose ratio to the best peer is shown")
	peers := flag.String("peers", "smux,smux-v2,yamux,go-yamux", "comma-separated implementations the reference is compared with")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: benchtable [flags] [file ...]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(os.Stdout, flag.Args(), *ref, strings.Split(*peers, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

// run reads every file (standard input if none) and writes the table to w.
func run(w io.Writer, files []string, ref string, peers []string) error {
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
	return build(res, ref, peers).render(w)
}
