#!/usr/bin/env bash
# run.sh: run the side-by-side benchmark suite round by round and summarise it.
#
#   bench/run.sh                  # full run: 5 rounds, -benchtime 500ms
#   BENCH_QUICK=1 bench/run.sh    # quick look: 5 rounds, -benchtime 100ms
#
# Every round runs every selected benchmark once (-count 1), so each
# implementation of a workload runs once per round, right after the others:
# drift of a shared machine lands on all of them alike, and the summary's
# ratios are taken within each round, then their median. BENCH_ROUND tells
# the suite which round it is; it rotates the order of the implementations
# by one place per round.
#
# Environment: ROUNDS (default 5), BENCHTIME, BENCH (the -bench regexp,
# default "."), TIMEOUT (per round), GO (the go command), BENCHSTAT (a
# benchstat command line, e.g. "go run golang.org/x/perf/cmd/benchstat@VERSION";
# run on the raw output when set), and the BENCH_* sizes described in README.md.
#
# Raw output, with a "# round N" line before each round, goes to
# bench/results/<date>.txt (gitignored); the summary table is printed by
# bench/cmd/benchtable.
set -euo pipefail

cd "$(dirname "$0")"
go=${GO:-go}

rounds=${ROUNDS:-5}
if [[ "${BENCH_QUICK:-0}" != 0 ]]; then
	benchtime=${BENCHTIME:-100ms}
	timeout=${TIMEOUT:-10m}
else
	benchtime=${BENCHTIME:-500ms}
	timeout=${TIMEOUT:-15m}
fi

mkdir -p results
raw="results/$(date +%Y-%m-%d-%H%M%S).txt"
echo "bench: $rounds rounds, -benchtime $benchtime; raw output in bench/$raw" >&2

# One test binary for every round, so rounds measure the same build.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$go" test -c -o "$tmp/bench.test" .

# The slow workloads (BulkN1024, IdleStreams, IdleSessions, HighRTT*) take
# longer per op than -benchtime, so they run once or twice per round.
failed=0
for ((round = 1; round <= rounds; round++)); do
	echo "# round $round" | tee -a "$raw"
	if ! BENCH_ROUND=$round "$tmp/bench.test" -test.run '^$' -test.bench "${BENCH:-.}" -test.benchmem \
		-test.count 1 -test.benchtime "$benchtime" -test.timeout "$timeout" | tee -a "$raw"; then
		echo "bench: round $round failed; the rounds go on, the summary leaves out what is missing" >&2
		failed=1
	fi
done

echo
echo "## Summary ($rounds rounds, $(nproc 2>/dev/null || echo '?') cores, $("$go" env GOOS)/$("$go" env GOARCH), $("$go" version | cut -d' ' -f3))"
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
exit "$failed"
