#!/usr/bin/env bash
# Coverage-guided fuzzing of the status parsers and config editors (fuzz/README.md).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     default: 10 s, every target
#   scripts/fuzz.sh --build-only                          build every target, run none
#
# Works on the stable toolchain: cargo-fuzz passes -Z flags to rustc, which
# RUSTC_BOOTSTRAP=1 allows on stable. Builds once (no sanitizer: the code under
# test is safe Rust, and panics are what we look for), then runs each target
# from a scratch corpus seeded with fuzz/seeds/<target>. Exits non-zero on the
# first target that crashes, after printing the crashing input's path.
#
# Env: TOOLS (where cargo-fuzz is installed, default /var/cache/weathervane-tools),
#      CARGO_TARGET_DIR (the fuzz build goes to $CARGO_TARGET_DIR/fuzz),
#      FUZZ_WORK (scratch corpora and crash artifacts, default $TARGET_DIR/fuzz-work),
#      WV_FUZZ_STRICT=1 (also report editor self-refusals, see fuzz/README.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_only=
if [[ "${1:-}" == --build-only ]]; then
    build_only=1
    shift
fi
secs="${1:-10}"
shift || true
[[ "$secs" =~ ^[0-9]+$ ]] || { echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2; }

tools="${TOOLS:-/var/cache/weathervane-tools}"
export PATH="$tools/bin:$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1
# opt-level 1 rather than release's 3: the build (every dependency of the core, with coverage
# instrumentation) takes about half as long, which is most of its share of a cold CI run, and
# the targets still run at a few thousand inputs a second. FUZZ_OPT_LEVEL=3 for long runs.
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${FUZZ_OPT_LEVEL:-1}"
# The fuzz build's rustc flags differ from a normal build's: keep it in its own dir.
target_dir="${CARGO_TARGET_DIR:-$root/target}/fuzz"
work="${FUZZ_WORK:-${CARGO_TARGET_DIR:-$root/target}/fuzz-work}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz into $tools" >&2
    mkdir -p "$tools"
    CARGO_PROFILE_DEV_DEBUG=false CARGO_TARGET_DIR="$tools/build" cargo install cargo-fuzz --version 0.13.2 --locked --quiet --debug --root "$tools"
fi

cd "$root"
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(cargo fuzz list)
fi
[[ ${#targets[@]} -gt 0 ]] || { echo "no fuzz targets found (cargo fuzz list)" >&2; exit 1; }

echo "building ${#targets[@]} fuzz targets into $target_dir" >&2
cargo fuzz build --sanitizer none --target-dir "$target_dir"
[[ -z "$build_only" ]] || exit 0

mkdir -p "$work"
summary=()
for t in "${targets[@]}"; do
    corpus="$work/corpus/$t"
    artifacts="$work/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    if [[ -d "fuzz/seeds/$t" ]]; then
        cp -n fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
    fi
    log="$work/$t.log"
    echo "== $t: ${secs}s (corpus $corpus)" >&2
    # -rss_limit_mb: 2 GB; -timeout: a single input taking >10 s is a hang.
    set +e
    cargo fuzz run --sanitizer none --target-dir "$target_dir" "$t" "$corpus" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
    cov="$(grep -E '^#[0-9]+' "$log" | tail -1 | grep -o 'cov: [0-9]*' || true)"
    if [[ $rc -ne 0 ]]; then
        tail -n 60 "$log" >&2
        crash="$(grep -o "Test unit written to [^ ]*" "$log" | tail -1 | sed 's/Test unit written to //')"
        echo "FUZZ CRASH in $t (exit $rc). Input: ${crash:-see $log}" >&2
        echo "Reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run -s none $t ${crash:-<input>}" >&2
        exit 1
    fi
    summary+=("$t: ${execs:-?} execs in ${secs}s, ${cov:-cov ?}, $(ls "$corpus" | wc -l) corpus files")
done
printf '%s\n' "${summary[@]}"
echo "no crashes" >&2
