# selfsign: `make run-server` serves the page over TLS; `make test` runs every check.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(HOME)/.cargo/bin:$(PATH)

PORT ?= 8443
CARGO ?= cargo
FUZZ_SECONDS ?= 60
SOAK_SECONDS ?= 110

.PHONY: help bootstrap run-server web test lint unit wasm browser build fuzz-corpus deny \
        bench bench-core bench-cli bench-web bench-web-ab bench-server bench-acme fuzz fuzz-deep soak clean

help:
	@echo "make run-server   build the page and serve it on https://localhost:$(PORT) (PORT=... to change)"
	@echo "make test         fmt, clippy, unit + interop tests, wasm build, browser tests"
	@echo "make web          build the wasm packages into web/pkg (small) and web/pkg-full"
	@echo "make fuzz         every fuzz target for FUZZ_SECONDS (60) each under libFuzzer (RELIABILITY.md)"
	@echo "make fuzz-deep    every fuzz target to 10 million executions or 30 minutes (TARGETS=... for some)"
	@echo "make soak         hostile clients against selfsign serve for SOAK_SECONDS (110), the crowd in two waves; prints a report"

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(CARGO) build --release -p selfsign

web: bootstrap
	scripts/web-build

run-server: bootstrap web build
	target/release/selfsign serve --port $(PORT) --root web

test: bootstrap lint unit fuzz-corpus deny wasm browser

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy -p selfsign-core -p selfsign-wasm --target wasm32-unknown-unknown --all-targets -- -D warnings

unit:
	$(CARGO) test --workspace --no-fail-fast

wasm:
	$(CARGO) build -p selfsign-core --target wasm32-unknown-unknown --release

browser: web
	scripts/test-browser

# RELIABILITY.md: the fuzz targets over their committed corpus (stable, no sanitizers), and
# cargo-deny's licence, ban and source checks (advisories need a database this network can't fetch).
fuzz-corpus:
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml -- --check
	$(CARGO) clippy --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
	$(CARGO) test --manifest-path fuzz/Cargo.toml

deny:
	$(CARGO) deny --log-level error check --hide-inclusion-graph licenses bans sources
	@if compgen -G "$(HOME)/.cargo/advisory-dbs/*/crates" >/dev/null; then \
	  $(CARGO) deny --offline check advisories; \
	else echo "deny: advisories skipped: no RustSec database here and GitHub is unreachable (RELIABILITY.md)"; fi

# Every fuzz target under libFuzzer for FUZZ_SECONDS each; fails on any crash.
fuzz: bootstrap
	scripts/bootstrap --fuzz
	fuzz/run $(FUZZ_SECONDS)

# RELIABILITY.md's depth: each target to 10 million executions, or 30 minutes if it is slower.
fuzz-deep: bootstrap
	scripts/bootstrap --fuzz
	RUNS=10000000 fuzz/run 1800 $(TARGETS)

# Hostile crowd against `selfsign serve` on loopback for SOAK_SECONDS; prints the report.
soak: build
	soak/soak.py --binary $${CARGO_TARGET_DIR:-target}/release/selfsign --seconds $(SOAK_SECONDS)

# Benchmarks (BENCHMARKS.md): each prints a table of ratios to a real peer; none runs in `make test`.
bench: bench-core bench-cli bench-web bench-server

bench-core: bootstrap
	$(CARGO) bench -p selfsign-core --bench generation -- --noplot
	$(CARGO) bench -p selfsign-core --bench paired
	bench/core-ratios.py

bench-cli: bootstrap
	scripts/bootstrap --bench
	$(CARGO) build --release -p selfsign
	bench/cli.py

bench-web: web
	scripts/bootstrap --bench
	test -d bench/node_modules/playwright-core || npm ci --prefix bench --no-audit --no-fund
	node bench/web-run.mjs

# Two builds of the page's wasm in one page load (B/A good to 2-3%): make bench-web-ab B=dir,
# where dir holds the other build, e.g. from a worktree at another commit:
#   git worktree add ../base HEAD~1 && (cd ../base && scripts/web-build $(CURDIR)/target/pkg-base)
bench-web-ab: web
	scripts/bootstrap --bench
	test -d bench/node_modules/playwright-core || npm ci --prefix bench --no-audit --no-fund
	@test -n "$(B)" || { echo "make bench-web-ab needs B=dir: another build of the page's wasm"; exit 2; }
	node bench/web-ab.mjs $(or $(A),web/pkg-full) $(B)

bench-server: bootstrap
	scripts/bootstrap --bench
	$(CARGO) build --release -p selfsign
	bench/server.py
	bench/proxy.py

# ACME issuance with lego: selfsign serve --acme vs Pebble (BENCHMARKS.md).
bench-acme: bootstrap
	scripts/bootstrap --bench
	$(CARGO) build --release -p selfsign
	bench/acme.py

clean:
	$(CARGO) clean
	rm -rf web/pkg web/pkg-full
