# Weathervane. `make run` runs the app, `make test` runs every test; both set up what they need.
SHELL := /bin/bash
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
TOOLS ?= /var/cache/weathervane-tools

.PHONY: fuzz-build fuzz-run e2e-flow e2e-faults e2e-probes e2e-sessions e2e-resident deps-package package package-check deps-screenshots screenshots
.PHONY: run test desktop-test deps deps-desktop deps-e2e ui build lint clippy fmt clean bench e2e core-test ui-test bindings-check bindings-current icons footprint deny deps-deny bench-detection bench-sessions fuzz-smoke fuzz

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

deps-screenshots:
	@WEATHERVANE_TOOLS=$(TOOLS) scripts/deps.sh screenshots

# The dashboard (ui/dist), which the desktop binary embeds, rebuilt when its sources change.
# ui/src/bindings holds types only (erased from the build), so the tests that regenerate it
# do not make the build stale (and two streams of `make test` never rebuild it at once).
UI_SOURCES := $(shell find ui/src ui/index.html ui/package.json ui/package-lock.json ui/tsconfig.json ui/vite.config.ts -path ui/src/bindings -prune -o -type f -print 2>/dev/null)
ui: deps-desktop
	@$(MAKE) --no-print-directory ui/dist/index.html

ui/dist/index.html: $(UI_SOURCES)
	cd ui && npm run build

# The desktop app: the resident `weathervane-tray` (tray, notifications, no GUI toolkit), which
# starts the dashboard `weathervane-desktop --dashboard` from beside itself on demand.
run: ui
	$(CARGO) build --release -p weathervane-desktop --bin weathervane-desktop -p weathervane-tray --bin weathervane-tray
	$(TARGET_DIR)/release/weathervane-tray

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
	desktop-file-validate packaging/deb/weathervane-desktop.desktop packaging/deb/weathervane-tray.desktop
	@test "$$(dpkg-parsechangelog -l packaging/deb/changelog -S Version)" = "$(DEB_VERSION)" || \
		{ echo "packaging/deb/changelog: the top entry is not version $(DEB_VERSION); add one" >&2; exit 1; }
	$(TOOLS)/bin/cargo-deb -p weathervane --no-build $(DEB_FLAGS) --output $(DEB) >/dev/null
	@ls -l $(DEB)
	@echo $(DEB)

# Installs that .deb with apt-get, runs the installed app under Xvfb (the tray registers, an
# outage is notified, the dashboard opens, start at login), purges it and checks nothing is left.
package-check: package deps-e2e
	scripts/package-check.sh $(DEB)

# Clippy's lints (-D warnings) run inside the test build rather than in a `cargo clippy` of
# their own: clippy-driver wraps rustc for the workspace's crates only, so the dependencies are
# compiled once, for the tests, instead of once more in check mode (about 5 min of a cold CI run).
# The targets are those of `cargo clippy --workspace --all-targets` (no examples exist);
# `make clippy` is the plain check.
CLIPPY_DRIVER_ARGS := -D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
CLIPPY_WRAP = RUSTC_WORKSPACE_WRAPPER=clippy-driver CLIPPY_ARGS=$(CLIPPY_DRIVER_ARGS)
# `make test` (CLIPPY_EVERY_BUILD=1) runs every Rust build with the same wrapper, so the release
# build and the release desktop tests share the workspace's crates.
ifeq ($(CLIPPY_EVERY_BUILD),1)
export RUSTC_WORKSPACE_WRAPPER := clippy-driver
export CLIPPY_ARGS := $(CLIPPY_DRIVER_ARGS)
endif

lint: ui
	$(CARGO) fmt --all -- --check
	scripts/gen-icons.sh --check
	cd ui && npm run check

clippy: ui
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Every crate's tests but the desktop one's, in debug (the core, the CLI, the resident).
core-test: ui
	$(CLIPPY_WRAP) $(CARGO) test --workspace --exclude weathervane-desktop --lib --bins --tests --benches

# The desktop crate's tests (Tauri's mock runtime) in the release profile: its dependencies
# (Tauri, WebKit, GTK: a third of the graph) are those of `make build`, not compiled once
# more in debug. `make test` runs every build with the same clippy wrapper, so the two share
# the workspace's crates too.
desktop-test: build
	$(CLIPPY_WRAP) $(CARGO) test --release -p weathervane-desktop --lib --bins --tests

# The TypeScript types are generated from Rust (ts-rs) by the tests above; the committed ones must match.
bindings-check: core-test desktop-test bindings-current

# The check alone, after the tests have run (`make test` orders them itself).
bindings-current:
	@git diff --exit-code --stat -- ui/src/bindings || { echo "ui/src/bindings is out of date: run 'make test' and commit it" >&2; exit 1; }
	@test -z "$$(git ls-files --others --exclude-standard ui/src/bindings)" || { echo "new generated bindings are not committed:" >&2; git ls-files --others --exclude-standard ui/src/bindings >&2; exit 1; }

# Licences, banned crates and sources of the whole tree (deny.toml; see SECURITY.md).
deny: deps-deny
	$(TOOLS)/bin/cargo-deny --all-features check licenses bans sources

ui-test: deps-desktop
	cd ui && npm test

# The release app under Xvfb: an outage and recovery with a switch from the tray and back from
# the notification; every injected fault at once, against the app and the release CLI; the
# probes; the user's own sessions; the resident (weathervane-tray) with the dashboard it
# starts. Two scenarios at a time (each has its own display, bus and temp HOME; they mostly
# wait on polls), each one's output printed when it ends.
E2E_SCENARIOS := flow faults probes sessions resident
e2e: build deps-e2e
	@$(MAKE) --no-print-directory -j2 -k -O $(addprefix e2e-,$(E2E_SCENARIOS))

e2e-flow e2e-faults e2e-probes e2e-sessions: e2e-%:
	E2E_SCENARIO=$* TAURI_DRIVER=$(TOOLS)/bin/tauri-driver tests/e2e/run.sh $(TARGET_DIR)/release/weathervane-desktop $(CURDIR)/tests/e2e/artifacts$(if $(filter flow,$*),,/$*)

e2e-resident:
	E2E_SCENARIO=resident tests/e2e/run.sh $(TARGET_DIR)/release/weathervane-tray $(CURDIR)/tests/e2e/artifacts/resident

# Two streams side by side (scripts/test-all.sh): lint, core and UI tests; deny, fuzz and the
# end-to-end scenarios against the release build. TEST_SERIAL=1 runs them one after the other.
test:
	@MAKE="$(MAKE)" scripts/test-all.sh

# The pictures in docs/screenshots, from the release app under Xvfb: the dashboard's pages over
# WebDriver, the screen with a notification, and the tray menu popped up by a real panel
# (xfce4-panel's Status Tray). About 1.5 minutes after the build; not part of `make test`.
SCREENSHOTS := dashboard outage history assistants early-warning settings tray-menu
screenshots: build deps-screenshots
	E2E_SCENARIO=screenshots E2E_TIMEOUT=600 TAURI_DRIVER=$(TOOLS)/bin/tauri-driver tests/e2e/run.sh $(TARGET_DIR)/release/weathervane-desktop $(CURDIR)/tests/e2e/artifacts/screenshots
	cp $(foreach s,$(SCREENSHOTS),tests/e2e/artifacts/screenshots/$(s).png) docs/screenshots/
	@echo "docs/screenshots: $(addsuffix .png,$(SCREENSHOTS)) refreshed"

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

# A provider-trouble line appended to a Claude Code transcript to the notification on the bus,
# with the resident, over 10 fresh starts: median and worst (~2 min).
bench-sessions: deps-e2e
	$(CARGO) build --release -p weathervane-tray
	xvfb-run -a dbus-run-session -- /usr/bin/python3 tests/e2e/sessions_latency.py --app $(TARGET_DIR)/release/weathervane-tray --runs 10 --out $(CURDIR)/tests/e2e/artifacts/sessions-latency.txt

icons:
	scripts/gen-icons.sh

# Coverage-guided fuzzing of the status parsers and config editors (fuzz/README.md), on stable.
fuzz-smoke: fuzz-run

# Without `make test`'s clippy wrapper (its own workspace; the same build as `make fuzz`).
FUZZ_ENV = env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS TOOLS=$(TOOLS)

fuzz-build:
	$(FUZZ_ENV) scripts/fuzz.sh --build-only

fuzz-run:
	$(FUZZ_ENV) scripts/fuzz.sh 10

fuzz:
	$(FUZZ_ENV) scripts/fuzz.sh 300

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
