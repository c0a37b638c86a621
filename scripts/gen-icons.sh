#!/usr/bin/env bash
# Renders every PNG icon from the SVGs in icons/src, reproducibly (rsvg-convert, no metadata).
# Usage: scripts/gen-icons.sh            regenerate icons/*.png, icons/tray/*.png and icons/preview.png
#        scripts/gen-icons.sh --check    fail if a committed PNG differs from what the SVGs give
set -euo pipefail
cd "$(dirname "$0")/.."
command -v rsvg-convert >/dev/null || { echo "error: rsvg-convert is missing (apt-get install librsvg2-bin)" >&2; exit 1; }

out=icons
if [ "${1:-}" = --check ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out/tray"

render() { # svg size png
  rsvg-convert --width "$2" --height "$2" --keep-aspect-ratio --format png "$1" -o "$3"
}

for svg in icons/src/tray-*.svg; do
  name=$(basename "$svg" .svg)
  for size in 16 22 32 44; do
    render "$svg" "$size" "$out/tray/$name-$size.png"
  done
done
render icons/src/app.svg 32 "$out/32x32.png"
render icons/src/app.svg 128 "$out/128x128.png"
render icons/src/app.svg 256 "$out/128x128@2x.png"
render icons/src/app.svg 512 "$out/icon.png"

if [ "${1:-}" = --check ]; then
  bad=0
  for f in "$out"/*.png "$out"/tray/*.png; do
    rel=${f#"$out"/}
    if ! cmp -s "$f" "icons/$rel"; then
      echo "icons/$rel differs from icons/src (run scripts/gen-icons.sh and commit)" >&2
      bad=1
    fi
  done
  exit $bad
fi

# A contact sheet for review: every tray icon at 16 and 22 px on a light and a dark panel, 4x.
if command -v convert >/dev/null; then
  rows=()
  for bg in "#ffffff" "#202020"; do
    for size in 16 22; do
      row=$(mktemp --suffix=.png)
      convert -background "$bg" $(ls icons/tray/tray-*-"$size".png | sort) -bordercolor "$bg" -border 3 +append -filter point -resize 400% "$row"
      rows+=("$row")
    done
  done
  convert -background "#888888" "${rows[@]}" -append icons/preview.png
  rm -f "${rows[@]}"
fi
echo "icons regenerated from icons/src"
