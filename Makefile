# netmux — see README.md. Every target works on a fresh machine with only Go.
GO        ?= go
FUZZTIME  ?= 60s
BENCHSTAT ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

.PHONY: all test unit fuzz-seed bench-smoke fuzz bench demo lint

all: lint test

## test: vet, race-enabled unit tests, fuzz seed corpora, one pass of every benchmark
test: lint unit fuzz-seed bench-smoke

unit:
	$(GO) test -race -count=1 -timeout 15m ./...
	cd interop && $(GO) test -race -count=1 ./...

# Runs each fuzz target over its seed corpus only (no fuzzing engine).
fuzz-seed:
	$(GO) test -count=1 -run '^Fuzz' ./fuzz/

# Compiles every benchmark and runs it once at tiny size so none rots.
bench-smoke:
	BENCH_SMOKE=1 $(GO) test -count=1 -run '^$$' -bench . -benchtime 1x ./...

## fuzz: run each fuzz target for FUZZTIME (default 60s)
fuzz:
	@for t in $$($(GO) test -list '^Fuzz' ./fuzz/ | grep '^Fuzz'); do \
		echo "== $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) ./fuzz/ || exit 1; \
	done

## bench: the side-by-side suite (BENCH_QUICK=1 for a short run); see bench/README.md
bench:
	BENCHSTAT="$(BENCHSTAT)" ./bench/run.sh

## demo: the reverse tunnel moving verified HTTP downloads on loopback
demo:
	$(GO) run ./examples/demo

## lint: gofmt must list nothing; go vet must pass
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
