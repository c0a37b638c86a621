#!/usr/bin/env bash
# `make test`: every test, in two streams that share the machine.
#
#   core:    lint (fmt, icons, tsc) -> core tests (every crate but the desktop one, debug)
#            -> UI tests -> fuzz build -> fuzz run
#   release: cargo-deny -> release build -> then side by side:
#              end-to-end scenarios -> the .deb built, installed, run and purged
#              the desktop crate's tests (release)
#            (the scenarios mostly wait on polls, so the compile beside them fills the cores)
#   then:    the generated TypeScript bindings are committed and current (both test steps
#            write them)
#
# Every Rust build here runs clippy's lints (-D warnings) as it compiles the workspace's
# crates (clippy-driver as RUSTC_WORKSPACE_WRAPPER), so no build of the dependency graph is
# spent on a separate `cargo clippy`, and the release build and the desktop tests, which share
# the release profile's dependencies, also share the wrapper (no crate is built twice).
# The desktop crate (Tauri, WebKit, GTK: a third of the dependency graph) is tested against
# the release build's dependencies rather than compiled once more in debug.
#
# The two streams compile into different profile dirs of one target dir (debug/, release/,
# fuzz/), so neither waits on the other's lock. Set-up (apt packages, npm ci, the UI build,
# the tools) happens once, first. Each step's time is printed at the end; a failed step fails
# the run after both streams have finished (so one run reports every failure).
#
# Env: TEST_SERIAL=1 runs the two streams one after the other (same steps).
set -uo pipefail
cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}
times=$(mktemp)
trap 'rm -f "$times" "$times".*' EXIT

step() { # stream name make-target...
  local stream=$1 name=$2
  shift 2
  local t0=$SECONDS rc=0
  echo "== $name"
  "$MAKE" --no-print-directory "$@" || rc=$?
  echo "$stream $name $((SECONDS - t0)) $rc" >>"$times"
  if [ "$rc" -ne 0 ]; then
    echo "FAILED: $name (exit $rc)"
    return "$rc"
  fi
}

prefix() { # stream: every line tagged, so two streams' output stays readable
  local s=$1
  while IFS= read -r line; do printf '[%s] %s\n' "$s" "$line"; done
}

core_stream() {
  step core lint lint &&
    step core core-test core-test &&
    step core ui-test ui-test &&
    step core fuzz-build fuzz-build &&
    step core fuzz-run fuzz-run
}

release_stream() {
  step release deny deny &&
    step release build build || return 0
  # The desktop tests' compile beside the end-to-end scenarios, which mostly wait; then the
  # .deb over the same release binaries, installed, run and purged.
  # `-o build`: the release build is done; a no-op `cargo build` here would still wait on the
  # build dir's lock while the desktop tests compile.
  step release desktop-test -o build desktop-test 2>&1 | prefix side &
  step release e2e -o build e2e && step release package-check -o build package-check
  wait
}

# Every step, in both modes; the run passes only if each one ran and passed.
want="setup/deps-e2e setup/ui core/lint core/core-test core/ui-test core/fuzz-build
core/fuzz-run release/deny release/build release/desktop-test release/e2e
release/package-check final/bindings-check"

# The lints run inside every Rust build of this run (see the top; the Makefile's CLIPPY_WRAP).
export CLIPPY_EVERY_BUILD=1

t0=$SECONDS
# Set-up both streams need, once (apt and npm must not run twice at a time).
step setup deps-e2e deps-e2e && step setup ui ui || exit 1

if [ "${TEST_SERIAL:-}" = 1 ]; then
  core_stream
  release_stream
else
  core_stream 2>&1 | prefix core &
  release_stream 2>&1 | prefix release &
  wait
fi
# After both test steps, which regenerate ui/src/bindings.
step final bindings-check bindings-current

echo
echo "== make test: $((SECONDS - t0)) s in all"
status=0
for w in $want; do
  line=$(grep "^${w%/*} ${w#*/} " "$times" || true)
  if [ -z "$line" ]; then
    printf '  %-8s %-15s   not run\n' "${w%/*}" "${w#*/}"
    status=1
    continue
  fi
  read -r stream name secs rc <<<"$line"
  [ "$rc" = 0 ] || status=1
  printf '  %-8s %-15s %5d s %s\n' "$stream" "$name" "$secs" "$([ "$rc" = 0 ] && echo ok || echo "FAILED ($rc)")"
done
if [ "$status" -ne 0 ]; then
  echo "make test: FAILED"
  exit 1
fi
echo "make test: all passed"
