#!/usr/bin/env bash
# Installs what building and testing Weathervane needs on Debian/Ubuntu, only when missing.
# Usage: scripts/deps.sh [core|desktop]   (core: the CLI and its tests; desktop: adds Tauri's libraries)
set -euo pipefail

want=${1:-core}
# dbus and gnome-keyring: the tests run a real Secret Service for the keyring.
core_pkgs=(build-essential pkg-config ca-certificates dbus gnome-keyring)
desktop_pkgs=(libwebkit2gtk-4.1-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev file)

pkgs=("${core_pkgs[@]}")
[ "$want" = desktop ] && pkgs+=("${desktop_pkgs[@]}")

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
