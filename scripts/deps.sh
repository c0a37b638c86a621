#!/usr/bin/env bash
# Installs what building and testing Weathervane needs on Debian/Ubuntu, only when missing.
# Usage: scripts/deps.sh [core|desktop|e2e|screenshots|package|deny]
#   core: the CLI and its tests; desktop: adds Tauri's libraries and the UI's npm packages;
#   e2e: adds a display, a session bus, a notification daemon, WebKit's WebDriver and tauri-driver;
#   screenshots: adds a real panel for the tray menu (xfce4-panel, xfconf) and xdotool;
#   package: adds desktop-file-validate and cargo-deb (into $WEATHERVANE_TOOLS) for the .deb;
#   deny: cargo-deny, into $WEATHERVANE_TOOLS.
set -euo pipefail

want=${1:-core}
# dbus and gnome-keyring: the tests run a real Secret Service for the keyring.
core_pkgs=(build-essential pkg-config ca-certificates dbus gnome-keyring)
desktop_pkgs=(libwebkit2gtk-4.1-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev file librsvg2-bin)
e2e_pkgs=(xvfb xauth dbus-x11 dunst webkit2gtk-driver imagemagick python3-dbus python3-gi python3-xlib)
# `make screenshots` only: xfce4-panel's Status Tray hosts the app's tray item under Xvfb.
screenshots_pkgs=(xfce4-panel xfconf xdotool)
# dpkg-dev (dpkg-shlibdeps, for the .deb's Depends) comes with build-essential.
package_pkgs=(desktop-file-utils)

pkgs=("${core_pkgs[@]}")
case "$want" in
  desktop) pkgs+=("${desktop_pkgs[@]}") ;;
  e2e) pkgs+=("${desktop_pkgs[@]}" "${e2e_pkgs[@]}") ;;
  screenshots) pkgs+=("${desktop_pkgs[@]}" "${e2e_pkgs[@]}" "${screenshots_pkgs[@]}") ;;
  package) pkgs+=("${desktop_pkgs[@]}" "${package_pkgs[@]}") ;;
esac

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "==> installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "==> installing ${missing[*]} (sudo)"
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "error: these packages are missing: ${missing[*]}" >&2
    echo "       install them with: sudo apt-get update && sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# Rust: rust-toolchain.toml pins a version. Where rustup has no toolchain of that
# name but the installed stable is that version, link it instead of downloading.
if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo is not installed; install Rust with rustup (https://rustup.rs)" >&2
  exit 1
fi
pinned=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$(dirname "$0")/../rust-toolchain.toml")
if command -v rustup >/dev/null 2>&1 && ! rustup toolchain list | grep -q "^$pinned"; then
  stable_version=$(rustc +stable --version 2>/dev/null | awk '{print $2}')
  if [ "$stable_version" = "$pinned" ]; then
    rustup toolchain link "$pinned" "$(rustc +stable --print sysroot)"
  else
    rustup toolchain install "$pinned" --profile minimal --component rustfmt,clippy
  fi
fi

# The dashboard is built with Node.js (Vite needs 20.19 or newer).
if [ "$want" != core ]; then
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
      echo "==> installing nodejs and npm"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    else
      echo "error: Node.js 20.19+ and npm are needed to build the dashboard" >&2
      exit 1
    fi
  fi
  ui_dir="$(dirname "$0")/../ui"
  if [ ! -d "$ui_dir/node_modules" ] || [ "$ui_dir/package-lock.json" -nt "$ui_dir/node_modules/.package-lock.json" ]; then
    echo "==> npm ci (ui/)"
    (cd "$ui_dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

# Rust tools, each built once into $WEATHERVANE_TOOLS (CI keeps that dir between runs).
tools=${WEATHERVANE_TOOLS:-/var/cache/weathervane-tools}
# --debug (no debuginfo) where the tool's own speed does not matter: cargo-deny builds in 45 s
# instead of about 3 min and checks this workspace in 3 s instead of 1. cargo-deb compresses
# the .deb itself, so it is built optimised.
install_tool() { # crate version [--debug]: cargo install it into $tools unless its binary is there
  local crate=$1 version=$2 mode=${3:-}
  [ -x "$tools/bin/$crate" ] && return 0
  echo "==> cargo install $crate $version $mode (into $tools)"
  mkdir -p "$tools"
  CARGO_PROFILE_DEV_DEBUG=false CARGO_TARGET_DIR="$tools/build" \
    cargo install "$crate" --version "$version" --locked --quiet --root "$tools" $mode
}

case "$want" in
  # tauri-driver drives the real app through WebKitWebDriver in the end-to-end test.
  e2e | screenshots) install_tool tauri-driver 2.1.0 --debug ;;
  # cargo-deb makes the .deb from the release binaries (`make package`).
  package) install_tool cargo-deb 3.8.0 ;;
  # cargo-deny checks licences, bans and sources (deny.toml).
  deny) install_tool cargo-deny 0.20.2 --debug ;;
esac
