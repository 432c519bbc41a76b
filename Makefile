# certblock: the two commands a fresh machine needs are `make generate` and `make test`.

CARGO ?= cargo
CERTBLOCK = $(CARGO) run --quiet --locked --release --bin certblock --

.PHONY: generate check test build clippy clean

## generate: read sources/ and rewrite generated/ (atomically)
generate:
	$(CERTBLOCK) generate --sources sources --out generated

## check: fail, naming each file, when generated/ is not what sources/ produce
check:
	$(CERTBLOCK) check --sources sources --out generated

## test: the whole suite, then the freshness gate
test:
	./scripts/ensure-tools.sh
	$(CARGO) test --locked --workspace --all-targets
	$(CARGO) test --locked --workspace --doc
	$(MAKE) check

build:
	$(CARGO) build --locked --workspace

clippy:
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

clean:
	$(CARGO) clean
