# Weathervane. `make run` runs the app, `make test` runs every test; both set up what they need.
SHELL := /bin/bash
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
TOOLS ?= /var/cache/weathervane-tools

.PHONY: run test deps deps-desktop deps-e2e ui build lint fmt clean bench e2e core-test ui-test bindings-check icons footprint deny deps-deny bench-detection fuzz-smoke fuzz

deps:
	@scripts/deps.sh core

deps-desktop:
	@scripts/deps.sh desktop

deps-e2e:
	@WEATHERVANE_TOOLS=$(TOOLS) scripts/deps.sh e2e

deps-deny:
	@WEATHERVANE_TOOLS=$(TOOLS) scripts/deps.sh deny

# The dashboard (ui/dist), which the desktop binary embeds.
ui: deps-desktop
	cd ui && npm run build

# The desktop app: the resident `weathervane-tray` (tray, notifications, no GUI toolkit), which
# starts the dashboard `weathervane-desktop --dashboard` from beside itself on demand.
run: ui
	$(CARGO) build --release -p weathervane-desktop --bin weathervane-desktop -p weathervane-tray --bin weathervane-tray
	$(TARGET_DIR)/release/weathervane-tray

# Release binaries `weathervane`, `weathervane-desktop` and `weathervane-tray` in the cargo target dir.
build: ui
	$(CARGO) build --release -p weathervane --bin weathervane -p weathervane-desktop --bin weathervane-desktop -p weathervane-tray --bin weathervane-tray
	@ls -l $(TARGET_DIR)/release/weathervane $(TARGET_DIR)/release/weathervane-desktop $(TARGET_DIR)/release/weathervane-tray

lint: ui
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	scripts/gen-icons.sh --check
	cd ui && npm run check

core-test: ui
	$(CARGO) test --workspace --lib --bins --tests

# The TypeScript types are generated from Rust (ts-rs) by the tests above; the committed ones must match.
bindings-check: core-test
	@git diff --exit-code --stat -- ui/src/bindings || { echo "ui/src/bindings is out of date: run 'make test' and commit it" >&2; exit 1; }
	@test -z "$$(git ls-files --others --exclude-standard ui/src/bindings)" || { echo "new generated bindings are not committed:" >&2; git ls-files --others --exclude-standard ui/src/bindings >&2; exit 1; }

# Licences, banned crates and sources of the whole tree (deny.toml; see SECURITY.md).
deny: deps-deny
	$(TOOLS)/bin/cargo-deny --all-features check licenses bans sources

ui-test: ui
	cd ui && npm test

# The release app under Xvfb: an outage and recovery with a switch from the tray and back from
# the notification; then every injected fault at once, against the app and the release CLI;
# probes; sessions; then the resident (weathervane-tray) with the dashboard it starts.
e2e: build deps-e2e
	TAURI_DRIVER=$(TOOLS)/bin/tauri-driver tests/e2e/run.sh $(TARGET_DIR)/release/weathervane-desktop $(CURDIR)/tests/e2e/artifacts
	E2E_SCENARIO=faults TAURI_DRIVER=$(TOOLS)/bin/tauri-driver tests/e2e/run.sh $(TARGET_DIR)/release/weathervane-desktop $(CURDIR)/tests/e2e/artifacts/faults
	E2E_SCENARIO=probes TAURI_DRIVER=$(TOOLS)/bin/tauri-driver tests/e2e/run.sh $(TARGET_DIR)/release/weathervane-desktop $(CURDIR)/tests/e2e/artifacts/probes
	E2E_SCENARIO=sessions TAURI_DRIVER=$(TOOLS)/bin/tauri-driver tests/e2e/run.sh $(TARGET_DIR)/release/weathervane-desktop $(CURDIR)/tests/e2e/artifacts/sessions
	E2E_SCENARIO=resident tests/e2e/run.sh $(TARGET_DIR)/release/weathervane-tray $(CURDIR)/tests/e2e/artifacts/resident

test: lint deny core-test bindings-check ui-test fuzz-smoke e2e

bench: deps
	$(CARGO) bench --features synthetic --bench parse --bench history --bench switch

# The resident (weathervane-tray) against a stock Tauri 2 tray app in the same run: idle PSS and
# CPU, what is mapped, start to registered, "Open dashboard" to first paint, the dashboard's
# memory, detection latency (~20 min).
footprint: build deps-e2e
	cd bench/stock-tray && $(CARGO) build --release
	scripts/footprint.py $(TARGET_DIR)/release/weathervane-tray $(or $(CARGO_TARGET_DIR),$(CURDIR)/bench/stock-tray/target)/release/stock-tray

# Outage and recovery on a fake page to the Notify call on the bus, over several flips at
# random moments of the 60 s poll cycle: median and worst (~20 min).
bench-detection: build deps-e2e
	scripts/footprint.py $(TARGET_DIR)/release/weathervane-tray --detection-only --flips 10 --interval 60

icons:
	scripts/gen-icons.sh

# Coverage-guided fuzzing of the status parsers and config editors (fuzz/README.md), on stable.
fuzz-smoke:
	TOOLS=$(TOOLS) scripts/fuzz.sh 10

fuzz:
	TOOLS=$(TOOLS) scripts/fuzz.sh 300

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
