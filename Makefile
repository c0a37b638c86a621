# Weathervane. `make run` runs the app, `make test` runs every test; both set up what they need.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test deps build bench lint fmt clean

deps:
	@scripts/deps.sh core

# Until the desktop shell lands, the app is the headless poller.
run: deps
	$(CARGO) run --release --bin weathervane -- watch

build: deps
	$(CARGO) build --release --bin weathervane

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

test: lint
	$(CARGO) test --lib --bins --tests

bench: deps
	$(CARGO) bench --bench parse --bench history --bench switch

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
