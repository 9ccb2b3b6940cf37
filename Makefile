# selfsign: `make run-server` serves the page over TLS; `make test` runs every check.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
export PATH := $(HOME)/.cargo/bin:$(PATH)

PORT ?= 8443
CARGO ?= cargo

.PHONY: help bootstrap run-server web test lint unit wasm browser build \
        bench bench-core bench-cli bench-web bench-server fuzz soak clean

help:
	@echo "make run-server   build the page and serve it on https://localhost:$(PORT) (PORT=... to change)"
	@echo "make test         fmt, clippy, unit + interop tests, wasm build, browser tests"
	@echo "make web          build the wasm package into web/pkg"

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(CARGO) build --release -p selfsign

web: bootstrap
	scripts/web-build

run-server: bootstrap web build
	target/release/selfsign serve --port $(PORT) --root web

test: bootstrap lint unit wasm browser

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

bench-server: bootstrap
	scripts/bootstrap --bench
	$(CARGO) build --release -p selfsign
	bench/server.py

clean:
	$(CARGO) clean
	rm -rf web/pkg
