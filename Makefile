# netmux — see README.md. Every target works on a fresh machine with only Go.
GO        ?= go
FUZZTIME  ?= 60s
BENCHSTAT ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
# The repository's Go modules: the library, the benchmark suite and the interop
# tests (their own modules, so that the libraries they use stay out of users' builds).
MODULES   := . bench interop
# in_modules runs a shell command in the directory of every module, in turn;
# it fails if the command failed in any of them, after trying them all.
in_modules = fail=0; for m in $(MODULES); do echo "== $$m: $(1)"; (cd $$m && $(1)) || fail=1; done; exit $$fail
# staticcheck 2026.2.2 (module v0.8.2), pinned so every machine runs the same checks.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all test unit fuzz-seed bench-smoke fuzz bench demo lint download

all: lint test

## test: vet, race-enabled unit tests, fuzz seed corpora, one pass of every benchmark
test: lint unit fuzz-seed bench-smoke

unit:
	@$(call in_modules,$(GO) test -race -count=1 -timeout 15m ./...)

# Runs each fuzz target over its seed corpus only (no fuzzing engine).
fuzz-seed:
	$(GO) test -count=1 -run '^Fuzz' ./fuzz/

# Compiles every benchmark and runs it once at tiny size so none rots.
bench-smoke:
	@$(call in_modules,BENCH_SMOKE=1 $(GO) test -count=1 -run '^$$' -bench . -benchtime 1x ./...)

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

## lint: gofmt must list nothing; go vet and staticcheck must pass
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@$(call in_modules,$(GO) vet ./... && $(STATICCHECK) ./...)

## download: fetch every module's dependencies (CI does this before make test)
download:
	@$(call in_modules,$(GO) mod download)
