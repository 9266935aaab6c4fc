#!/usr/bin/env bash
# run.sh: run the side-by-side benchmark suite and summarise it.
#
#   bench/run.sh                  # full run: -count 5, -benchtime 500ms (~4 min on 2 cores)
#   BENCH_QUICK=1 bench/run.sh    # quick look: -count 3, -benchtime 100ms (~1 min)
#
# Environment: COUNT, BENCHTIME, BENCH (the -bench regexp, default "."),
# TIMEOUT (go test -timeout), GO (the go command), BENCHSTAT (a benchstat
# command line, e.g. "go run golang.org/x/perf/cmd/benchstat@VERSION"; run on
# the raw output when set), and the BENCH_* sizes described in README.md.
#
# Raw output goes to bench/results/<date>.txt (gitignored); the summary table
# is printed by bench/cmd/benchtable.
set -euo pipefail

cd "$(dirname "$0")"
go=${GO:-go}

if [[ "${BENCH_QUICK:-0}" != 0 ]]; then
	count=${COUNT:-3}
	benchtime=${BENCHTIME:-100ms}
	timeout=${TIMEOUT:-15m}
else
	count=${COUNT:-5}
	benchtime=${BENCHTIME:-500ms}
	timeout=${TIMEOUT:-40m}
fi

mkdir -p results
raw="results/$(date +%Y-%m-%d-%H%M%S).txt"
echo "bench: -count $count -benchtime $benchtime; raw output in bench/$raw" >&2

# The slow workloads (BulkN1024, IdleStreams, IdleSessions) take longer per
# op than -benchtime, so they run once or twice per count whatever it is.
"$go" test -run '^$' -bench "${BENCH:-.}" -benchmem \
	-count "$count" -benchtime "$benchtime" -timeout "$timeout" . | tee "$raw"

echo
echo "## Summary ($(nproc 2>/dev/null || echo '?') cores, $("$go" env GOOS)/$("$go" env GOARCH), $("$go" version | cut -d' ' -f3))"
echo
"$go" run ./cmd/benchtable "$raw"

if [[ -n "${BENCHSTAT:-}" ]]; then
	echo
	echo "## benchstat"
	echo
	read -r -a benchstat <<<"$BENCHSTAT"
	if ! "${benchstat[@]}" "$raw"; then
		echo "bench: benchstat failed; the raw output is in bench/$raw" >&2
	fi
fi
