# Weathervane. `make run` runs the app, `make test` runs every test; both set up what they need.
SHELL := /bin/bash
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
TOOLS ?= /var/cache/weathervane-tools

.PHONY: run test deps deps-desktop deps-e2e deps-package package package-check ui build lint fmt clean bench e2e core-test ui-test bindings-check icons footprint deny deps-deny bench-detection fuzz-smoke fuzz

deps:
	@scripts/deps.sh core

deps-desktop:
	@scripts/deps.sh desktop

deps-e2e:
	@WEATHERVANE_TOOLS=$(TOOLS) scripts/deps.sh e2e

deps-package:
	@WEATHERVANE_TOOLS=$(TOOLS) scripts/deps.sh package

deps-deny:
	@WEATHERVANE_TOOLS=$(TOOLS) scripts/deps.sh deny

# The dashboard (ui/dist), which the desktop binary embeds. Built only when its sources
# changed: a fresh ui/dist makes cargo relink weathervane-desktop (minutes, with LTO).
UI_SRC := $(shell find ui/src ui/index.html ui/package.json ui/package-lock.json ui/vite.config.ts ui/tsconfig.json -type f 2>/dev/null)
ui: deps-desktop ui/dist/index.html

ui/dist/index.html: $(UI_SRC)
	cd ui && npm run build

# The desktop app: tray, notifications, dashboard.
run: ui
	$(CARGO) run --release -p weathervane-desktop

# Release binaries `weathervane`, `weathervane-tray` and `weathervane-desktop` in the cargo target dir.
build: ui
	$(CARGO) build --release -p weathervane --bin weathervane -p weathervane-tray --bin weathervane-tray -p weathervane-desktop --bin weathervane-desktop
	@ls -l $(TARGET_DIR)/release/weathervane $(TARGET_DIR)/release/weathervane-tray $(TARGET_DIR)/release/weathervane-desktop

# The .deb (cargo-deb; [package.metadata.deb] in Cargo.toml, files in packaging/deb): the
# release binaries of `make build` as they are (--no-build: no second compile), the menu
# entry, the autostart entry, icons, copyright. Prints its path.
DEB_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB := $(TARGET_DIR)/debian/weathervane_$(DEB_VERSION)_$(DEB_ARCH).deb
# xz at its fast level: half a minute less here for a .deb 3 MB larger (DEB_FLAGS= for the smallest).
DEB_FLAGS ?= --fast
package: deps-package build
	desktop-file-validate packaging/deb/dev.weathervane.app.desktop packaging/deb/weathervane-tray.desktop
	@test "$$(dpkg-parsechangelog -l packaging/deb/changelog -S Version)" = "$(DEB_VERSION)" || \
		{ echo "packaging/deb/changelog: the top entry is not version $(DEB_VERSION); add one" >&2; exit 1; }
	$(TOOLS)/bin/cargo-deb -p weathervane --no-build $(DEB_FLAGS) --output $(DEB) >/dev/null
	@ls -l $(DEB)
	@echo $(DEB)

# Installs that .deb with apt-get, runs the installed app under Xvfb (the tray registers, an
# outage is notified, the dashboard opens, start at login), purges it and checks nothing is left.
package-check: package deps-e2e
	scripts/package-check.sh $(DEB)

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
# the notification; then every injected fault at once, against the app and the release CLI.
e2e: build deps-e2e
	TAURI_DRIVER=$(TOOLS)/bin/tauri-driver tests/e2e/run.sh $(TARGET_DIR)/release/weathervane-desktop $(CURDIR)/tests/e2e/artifacts
	E2E_SCENARIO=faults TAURI_DRIVER=$(TOOLS)/bin/tauri-driver tests/e2e/run.sh $(TARGET_DIR)/release/weathervane-desktop $(CURDIR)/tests/e2e/artifacts/faults
	E2E_SCENARIO=probes TAURI_DRIVER=$(TOOLS)/bin/tauri-driver tests/e2e/run.sh $(TARGET_DIR)/release/weathervane-desktop $(CURDIR)/tests/e2e/artifacts/probes
	E2E_SCENARIO=sessions TAURI_DRIVER=$(TOOLS)/bin/tauri-driver tests/e2e/run.sh $(TARGET_DIR)/release/weathervane-desktop $(CURDIR)/tests/e2e/artifacts/sessions

test: lint deny core-test bindings-check ui-test fuzz-smoke e2e package-check

bench: deps
	$(CARGO) bench --features synthetic --bench parse --bench history --bench switch

# Idle footprint against a stock Tauri 2 tray app, dashboard memory, detection latency (~8 min).
footprint: build deps-e2e
	cd bench/stock-tray && $(CARGO) build --release
	scripts/footprint.py $(TARGET_DIR)/release/weathervane-desktop $(or $(CARGO_TARGET_DIR),$(CURDIR)/bench/stock-tray/target)/release/stock-tray

# Outage and recovery on a fake page to the Notify call on the bus, over several flips at
# random moments of the 60 s poll cycle: median and worst (~20 min).
bench-detection: build deps-e2e
	scripts/footprint.py $(TARGET_DIR)/release/weathervane-desktop --detection-only --flips 10 --interval 60

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
