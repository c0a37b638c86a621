#!/usr/bin/env bash
# `make test`: every test, in two streams that share the machine.
#
#   core:    lint (fmt, icons, tsc) -> core tests (built with clippy's lints, -D warnings) -> bindings check -> UI tests
#   release: cargo-deny -> fuzz build -> release build -> end-to-end scenarios, with the fuzz
#            run beside them (the e2e mostly waits on polls; the fuzzer takes one core)
#            -> the .deb built, installed, run and purged
#
# The two compile into different profile dirs of one target dir (debug/, release/, fuzz/),
# so neither waits on the other's lock. Set-up (apt packages, npm ci, the UI build, the tools)
# happens once, first. Each step's time is printed at the end; a failed step fails the run
# after both streams have finished (so one run reports every failure).
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
    step core bindings-check bindings-current &&
    step core ui-test ui-test
}

release_stream() {
  step release deny deny &&
    step release fuzz-build fuzz-build &&
    step release build build || return 0
  # The fuzzer and the end-to-end scenarios side by side.
  step release fuzz-run fuzz-run 2>&1 | prefix fuzz &
  step release e2e e2e
  wait
  # The .deb over the same release binaries, installed, run and purged.
  step release package-check package-check
}

# Every step, in both modes; the run passes only if each one ran and passed.
want="setup/deps-e2e setup/ui core/lint core/core-test core/bindings-check core/ui-test
release/deny release/fuzz-build release/build release/fuzz-run release/e2e
release/package-check"

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
