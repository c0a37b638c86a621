#!/usr/bin/env bash
# End-to-end test of the real desktop app: tray, notifications and dashboard, against the fake
# status server, under Xvfb and a private session bus. See tests/e2e/README.md.
#
#   tests/e2e/run.sh PATH/TO/weathervane-desktop ARTIFACT_DIR
#   E2E_SCENARIO=resident tests/e2e/run.sh PATH/TO/weathervane-tray ARTIFACT_DIR
#     (the resident and the dashboard it starts, weathervane-desktop beside it; no WebDriver:
#     tests/e2e/resident_check.py)
#
# Env: TAURI_DRIVER (default /var/cache/weathervane-tools/bin/tauri-driver),
#      WEBKIT_WEBDRIVER (default /usr/bin/WebKitWebDriver), E2E_TIMEOUT (seconds, default 240),
#      E2E_KEEP_TMP=1 keeps the temporary HOME and logs.
# Installs nothing: `make deps-e2e` does.
set -euo pipefail

usage() { echo "usage: $0 PATH/TO/weathervane-desktop ARTIFACT_DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
driver=${TAURI_DRIVER:-/var/cache/weathervane-tools/bin/tauri-driver}
native=${WEBKIT_WEBDRIVER:-/usr/bin/WebKitWebDriver}
limit=${E2E_TIMEOUT:-240}
py=/usr/bin/python3
scenario=${E2E_SCENARIO:-flow}

# ---- what it needs ----------------------------------------------------------------------
missing=() pkgs=()
need() { # command apt-package
  if ! command -v "$1" >/dev/null 2>&1; then missing+=("$1"); pkgs+=("$2"); fi
}
need Xvfb xvfb
need dbus-run-session dbus
need dbus-daemon dbus
need dbus-monitor dbus
need dunst dunst
need import imagemagick
need rsvg-convert librsvg2-bin
need timeout coreutils
need setsid util-linux
[ "$scenario" = resident ] || [ -x "$native" ] || { missing+=("$native"); pkgs+=(webkit2gtk-driver); }
if [ ! -x "$py" ]; then
  missing+=("$py"); pkgs+=(python3)
else
  "$py" -c 'import dbus' 2>/dev/null || { missing+=("python module dbus"); pkgs+=(python3-dbus); }
  "$py" -c 'from gi.repository import GLib' 2>/dev/null || { missing+=("python module gi"); pkgs+=(python3-gi); }
  "$py" -c 'import Xlib' 2>/dev/null || { missing+=("python module Xlib"); pkgs+=(python3-xlib); }
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "e2e: missing ${missing[*]}" >&2
  echo "e2e: install with: apt-get install -y $(printf '%s\n' "${pkgs[@]}" | sort -u | tr '\n' ' ')(or run 'make deps-e2e')" >&2
  exit 1
fi
if [ "$scenario" != resident ] && [ ! -x "$driver" ]; then
  echo "e2e: tauri-driver not found at $driver (set TAURI_DRIVER, or install it:" >&2
  echo "     cargo install tauri-driver --locked --root /var/cache/weathervane-tools; 'make deps-e2e' does)" >&2
  exit 1
fi
if [ ! -x "$1" ]; then
  echo "e2e: the app $1 does not exist or is not executable (build it: make build)" >&2
  exit 1
fi
[ -f "$root/scripts/fake_status_server.py" ] || { echo "e2e: $root/scripts/fake_status_server.py is missing" >&2; exit 1; }

app=$(realpath "$1")
mkdir -p "$2"
art=$(cd "$2" && pwd)
rm -f "$art"/outage.png "$art"/recovered.png "$art"/tray-menu.txt "$art"/tray-menu.png \
  "$art"/dashboard-*.png "$art"/log-*.txt

# ---- a private display and session; everything started carries a marker ---------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wv-e2e.XXXXXX")
run_id="wv-e2e-$$-$(date +%s%N)"
xvfb_pid=
main_pid=

marked() { # pids (other than this shell) whose environment has our marker
  local d pid
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    [ "$pid" = "$$" ] && continue
    if { tr '\0' '\n' <"$d/environ"; } 2>/dev/null | grep -Fqx "WEATHERVANE_E2E_RUN=$run_id"; then
      echo "$pid"
    fi
  done
}

cleanup() {
  local rc=$? pids
  trap - EXIT INT TERM
  [ -n "$main_pid" ] && kill -TERM -- "-$main_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill -TERM -- "-$xvfb_pid" 2>/dev/null || true
  sleep 0.5
  for _ in 1 2 3 4 5 6; do
    pids=$(marked)
    [ -z "$pids" ] && break
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    sleep 0.5
  done
  pids=$(marked)
  if [ -n "$pids" ]; then
    echo "e2e: killing leftovers: $(for p in $pids; do tr '\0' ' ' </proc/$p/cmdline 2>/dev/null; echo -n "[$p] "; done)" >&2
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
  fi
  if [ "${E2E_KEEP_TMP:-}" = 1 ]; then echo "e2e: kept $tmp" >&2; else rm -rf "$tmp"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

: >"$tmp/display"
WEATHERVANE_E2E_RUN=$run_id setsid Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset \
  3>"$tmp/display" >"$tmp/xvfb.log" 2>&1 &
xvfb_pid=$!
display=
for _ in $(seq 150); do
  display=$(tr -dc '0-9' <"$tmp/display")
  [ -n "$display" ] && break
  kill -0 "$xvfb_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$display" ]; then
  echo "e2e: Xvfb did not start:" >&2; tail -n 50 "$tmp/xvfb.log" >&2
  exit 1
fi
echo "e2e: Xvfb on :$display (1280x800x24), temp dir $tmp"

# ---- the test ---------------------------------------------------------------------------
# The session bus gets the temp HOME too: a service it starts on demand (dconf-service,
# at-spi, xfconfd) writes there, never in the caller's ~/.cache or ~/.config.
mkdir -p "$tmp/home" && mkdir -m 700 -p "$tmp/runtime"
if [ "$scenario" = resident ]; then
  test_cmd=("$py" "$here/resident_check.py" --app "$app" --artifacts "$art" --tmp "$tmp"
    --idle "${E2E_IDLE:-20}")
else
  test_cmd=("$py" "$here/e2e.py" run --app "$app" --artifacts "$art" --tmp "$tmp"
    --tauri-driver "$driver" --native-driver "$native")
fi
status=0
env -u WAYLAND_DISPLAY -u DBUS_SESSION_BUS_ADDRESS -u SESSION_MANAGER \
  HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share" \
  XDG_CACHE_HOME="$tmp/home/.cache" XDG_STATE_HOME="$tmp/home/.local/state" XDG_RUNTIME_DIR="$tmp/runtime" \
  WEATHERVANE_E2E_RUN="$run_id" DISPLAY=":$display" \
  setsid timeout -k 10 "$limit" dbus-run-session -- \
  "${test_cmd[@]}" &
main_pid=$!
wait "$main_pid" || status=$?
main_pid=
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "e2e: timed out after $limit s; last lines of each log:" >&2
  for f in "$tmp"/logs/*.log; do
    [ -f "$f" ] || continue
    echo "----- $f -----" >&2; tail -n 50 "$f" >&2
    cp "$f" "$art/log-$(basename "$f" .log).txt" 2>/dev/null || true
  done
  echo "E2E FAIL: timed out after $limit s" >&2
fi
exit "$status"
