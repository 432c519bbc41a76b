# certblock: the two commands a fresh machine needs are `make generate` and `make test`.

CARGO ?= cargo
CERTBLOCK = $(CARGO) run --quiet --locked --release --bin certblock --

.PHONY: generate check test build clippy clean fuzz bench

## generate: read sources/ and rewrite generated/ (atomically)
generate:
	$(CERTBLOCK) generate --sources sources --out generated

## check: fail, naming each file, when generated/ is not what sources/ produce
check:
	$(CERTBLOCK) check --sources sources --out generated

## test: the whole suite, then the freshness gate
test:
	./scripts/ensure-tools.sh
	$(CARGO) fmt --all --check
	$(CARGO) test --locked --workspace --all-targets
	$(CARGO) test --locked --workspace --doc
	$(MAKE) check

## fuzz: run every cargo-fuzz target in fuzz/ for FUZZ_SECONDS each (needs nightly and cargo-fuzz)
FUZZ_SECONDS ?= 60
fuzz:
	@if ! $(CARGO) +nightly --version >/dev/null 2>&1 || ! $(CARGO) +nightly fuzz --version >/dev/null 2>&1; then \
	  echo "make fuzz needs nightly Rust and cargo-fuzz:"; \
	  echo "  rustup toolchain install nightly && cargo install cargo-fuzz"; \
	  echo "Without them, make test still runs the bounded never-panic tests (crates/certblock-ingest/tests/never_panics.rs,"; \
	  echo "crates/certblock-formats/tests/malformed.rs); fuzz/fuzz_targets/*.rs lists the targets."; \
	  exit 1; \
	fi
	@for t in $$($(CARGO) +nightly fuzz list); do \
	  echo "== fuzzing $$t for $(FUZZ_SECONDS) s"; \
	  $(CARGO) +nightly fuzz run $$t -- -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

## bench: every benchmark of issue 7 (minutes; not part of test); raw results in target/bench/,
## summary in BENCHMARKS.md. BENCH_1M=1 adds the 1M-certificate corpus.
bench:
	./scripts/bench.sh

build:
	$(CARGO) build --locked --workspace

clippy:
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
