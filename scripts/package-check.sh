#!/usr/bin/env bash
# Installs the .deb as a user would (apt-get install ./weathervane_….deb), runs the installed
# app (tests/e2e/package_check.py under xvfb-run + dbus-run-session), then purges the package
# and checks that every file it installed is gone. Part of `make test`, after `make package`.
#
#   scripts/package-check.sh PATH/TO/weathervane_VERSION_ARCH.deb
#
# Needs root or passwordless sudo (apt-get), and the e2e tools (`make deps-e2e`). Refuses to
# run when a `weathervane` package is already installed: it would replace and then remove it.
# Exit 0 when every check passes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
[ $# -eq 1 ] || { echo "usage: $0 PATH/TO/weathervane_VERSION_ARCH.deb" >&2; exit 2; }
[ -f "$1" ] || { echo "package-check: no such file: $1 (run 'make package')" >&2; exit 2; }
deb="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
pkg=weathervane
SECONDS=0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "package-check: installing the .deb needs root or passwordless sudo" >&2
  exit 1
fi
apt() { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0 "$@"; }
installed() { dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q ' installed$'; }

if installed; then
  echo "package-check: '$pkg' $(dpkg-query -W -f='${Version}' "$pkg") is installed on this machine;" \
    "this check would replace it and then remove it. Remove it first: sudo apt-get remove $pkg" >&2
  exit 1
fi

fail=0
ok() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fail=1; }

we_installed=0
apt_log=$(mktemp "${TMPDIR:-/tmp}/wv-package-apt.XXXXXX")
cleanup() {
  local rc=$?
  rm -f "$apt_log"
  if [ "$we_installed" = 1 ] && installed; then
    echo "package-check: purging $pkg after a failure" >&2
    apt purge "$pkg" >/dev/null 2>&1 || true
  fi
  exit "$rc"
}
trap cleanup EXIT

# ---- install ----------------------------------------------------------------------------
echo "==> apt-get install $deb"
we_installed=1
# Its Depends are what the desktop build already installed, so no download is needed here;
# on a machine without package lists, update them once and retry.
if ! apt install --no-install-recommends "$deb" >"$apt_log" 2>&1; then
  apt update -qq >/dev/null 2>&1 || true
  apt install --no-install-recommends "$deb" >"$apt_log" 2>&1 ||
    { cat "$apt_log" >&2; bad "apt-get install"; exit 1; }
fi
if ! installed; then bad "dpkg says $pkg is not installed"; exit 1; fi
version=$(dpkg-query -W -f='${Version}' "$pkg")
installed_kib=$(dpkg-query -W -f='${Installed-Size}' "$pkg")
ok "installed: $pkg $version ($installed_kib KiB) in $SECONDS s"
mapfile -t files < <(dpkg -L "$pkg")

# ---- what it holds ------------------------------------------------------------------------
for f in /usr/bin/weathervane /usr/bin/weathervane-tray /usr/bin/weathervane-desktop \
  /usr/share/applications/weathervane-desktop.desktop \
  /usr/share/weathervane/autostart/weathervane-tray.desktop \
  /usr/share/icons/hicolor/32x32/apps/weathervane.png \
  /usr/share/icons/hicolor/256x256/apps/weathervane.png \
  /usr/share/icons/hicolor/scalable/apps/weathervane.svg \
  /usr/share/doc/weathervane/copyright; do
  if printf '%s\n' "${files[@]}" | grep -Fqx "$f" && [ -f "$f" ]; then :; else bad "missing: $f"; fi
done
[ "$fail" = 0 ] && ok "holds the three programs, the launcher, the autostart entry, icons, copyright"
for b in weathervane weathervane-tray weathervane-desktop; do
  [ -x "/usr/bin/$b" ] || bad "/usr/bin/$b is not executable"
done
depends=$(dpkg-query -W -f='${Depends}' "$pkg")
case "$depends" in
  *libwebkit2gtk-4.1-0*) ok "Depends: $depends" ;;
  *) bad "Depends lacks libwebkit2gtk-4.1-0: $depends" ;;
esac
# Every shared library the programs need resolves on this machine, from the Depends.
for b in weathervane weathervane-tray weathervane-desktop; do
  if ldd "/usr/bin/$b" | grep -q 'not found'; then bad "$b: $(ldd "/usr/bin/$b" | grep 'not found' | tr -s ' \t\n' ' ')"; fi
done
if grep -qx 'Exec=/usr/bin/weathervane-tray' /usr/share/applications/weathervane-desktop.desktop; then
  ok "the launcher runs /usr/bin/weathervane-tray"
else
  bad "the launcher's Exec is not /usr/bin/weathervane-tray"
fi

# ---- the installed app at work -------------------------------------------------------------
echo "==> the installed app under Xvfb (tests/e2e/package_check.py)"
# Run as the invoking user, in a fresh session: nothing of the machine's display or bus.
env -u WAYLAND_DISPLAY -u DBUS_SESSION_BUS_ADDRESS -u SESSION_MANAGER -u DISPLAY \
  timeout -k 10 120 xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
  dbus-run-session -- /usr/bin/python3 "$root/tests/e2e/package_check.py" \
  --prefix /usr --version "${version%%-*}" || bad "the installed app (see above)"

# ---- remove --------------------------------------------------------------------------------
echo "==> apt-get purge $pkg"
apt purge "$pkg" >"$apt_log" 2>&1 ||
  { cat "$apt_log" >&2; bad "apt-get purge"; }
if installed; then bad "still installed after purge"; fi
left=()
for f in "${files[@]}"; do
  # dpkg -L lists the directories too; shared ones (/usr/bin) stay, ours must go.
  if [ -d "$f" ]; then
    case "$f" in /usr/share/weathervane* | /usr/share/doc/weathervane) [ -e "$f" ] && left+=("$f") ;; esac
  elif [ -e "$f" ] || [ -L "$f" ]; then
    left+=("$f")
  fi
done
if [ ${#left[@]} -eq 0 ]; then
  ok "purged: none of the ${#files[@]} paths dpkg -L listed is left; dpkg: $(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || echo 'no such package')"
else
  bad "left after purge: ${left[*]}"
fi
we_installed=0

if [ "$fail" = 0 ]; then
  echo "PACKAGE PASS: $(basename "$deb") ($(( $(stat -c %s "$deb") / 1024 )) KiB; installed size" \
    "$installed_kib KiB) installed, run and purged in $SECONDS s"
else
  echo "PACKAGE FAIL"
fi
exit "$fail"
