#!/usr/bin/env bash
# Renders every PNG icon from the hand-written SVGs in icons/src, reproducibly.
#
# Usage: scripts/gen-icons.sh            regenerate icons/*.png, icons/tray/*.png and icons/preview.png
#        scripts/gen-icons.sh --check    render into a temp dir; exit 1, naming the files, if any committed
#                                        PNG differs, is missing or is stale (preview.png is not checked)
#
# Output is byte-reproducible for a given librsvg version: rsvg-convert writes no timestamps or
# other varying metadata, and file lists are sorted under LC_ALL=C. A different librsvg major
# version may anti-alias differently, so CI should use the same distribution (Debian 12,
# librsvg2-bin 2.54) as the machine that committed the PNGs.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."

mode=write
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

if ! command -v rsvg-convert >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "rsvg-convert missing: installing librsvg2-bin" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends librsvg2-bin >&2
  else
    echo "error: rsvg-convert is missing (sudo apt-get install librsvg2-bin)" >&2
    exit 1
  fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "$mode" = check ]; then out="$tmp/icons"; else out=icons; fi
mkdir -p "$out/tray"

render() { # svg size png
  rsvg-convert --width "$2" --height "$2" --keep-aspect-ratio --format png "$1" --output "$3"
}

# Tray: 16 and 22 px (common panel sizes), 32 (what the app loads), 44 (22 @2x).
for svg in icons/src/tray-*.svg; do
  name=$(basename "$svg" .svg)
  for size in 16 22 32 44; do
    render "$svg" "$size" "$out/tray/$name-$size.png"
  done
done

# App icon: Tauri's bundle.icon list (window, notifications, the .deb).
render icons/src/app.svg 32 "$out/32x32.png"
render icons/src/app.svg 128 "$out/128x128.png"
render icons/src/app.svg 256 "$out/128x128@2x.png"
render icons/src/app.svg 512 "$out/icon.png"

if [ "$mode" = check ]; then
  bad=()
  for f in "$out"/*.png "$out"/tray/*.png; do
    rel=${f#"$out"/}
    if [ ! -f "icons/$rel" ]; then
      bad+=("icons/$rel (missing)")
    elif ! cmp -s "$f" "icons/$rel"; then
      bad+=("icons/$rel (differs)")
    fi
  done
  for f in icons/*.png icons/tray/*.png; do
    [ -e "$f" ] || continue
    rel=${f#icons/}
    [ "$rel" = preview.png ] && continue
    [ -f "$out/$rel" ] || bad+=("$f (stale: no SVG renders it)")
  done
  if [ ${#bad[@]} -gt 0 ]; then
    echo "icons out of date with icons/src ($(rsvg-convert --version)):" >&2
    printf '  %s\n' "${bad[@]}" >&2
    echo "run scripts/gen-icons.sh and commit the result" >&2
    exit 1
  fi
  echo "icons up to date ($(find "$out" -name '*.png' | wc -l) PNGs)"
  exit 0
fi

# Stale tray PNGs (an SVG was renamed or removed) would otherwise linger.
for f in icons/tray/*.png; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .png)
  [ -f "icons/src/${name%-*}.svg" ] || { echo "removing stale $f"; rm -f "$f"; }
done

# Contact sheet for review (not checked by CI): every tray icon at 16 and 22 px, on a white
# and on a near-black panel, enlarged 4x with nearest-neighbour so single pixels are visible.
if command -v convert >/dev/null; then
  statuses=(operational degraded partial_outage major_outage maintenance unknown)
  font=()
  if convert -list font 2>/dev/null | grep -q 'Font: DejaVu-Sans$'; then font=(-font DejaVu-Sans); fi
  cell=104 # 22 px x 4 = 88, plus a margin
  label() { # text width height bg fg out
    convert -size "$2x$3" "xc:$4" "${font[@]}" -pointsize 12 -fill "$5" -gravity center \
      -annotate 0 "$1" "$6"
  }
  header=("$tmp/h-corner.png")
  label "" 72 36 "#e8e8e8" "#000" "$tmp/h-corner.png"
  for s in "${statuses[@]}"; do # each status spans two cells: plain, then with the badge
    label "${s//_/ } / switched" $((2 * cell)) 36 "#e8e8e8" "#000" "$tmp/h-$s.png"
    header+=("$tmp/h-$s.png")
  done
  convert "${header[@]}" +append "$tmp/header.png"
  rows=("$tmp/header.png")
  for bg in "#ffffff" "#202020"; do
    if [ "$bg" = "#ffffff" ]; then fg="#000"; else fg="#ddd"; fi
    for size in 16 22; do
      r="$tmp/row-${bg#\#}-$size"
      label "$size px" 72 "$cell" "$bg" "$fg" "$r-0.png"
      cells=("$r-0.png")
      i=0
      for s in "${statuses[@]}"; do
        for sw in "" -switched; do
          i=$((i + 1))
          convert "icons/tray/tray-$s$sw-$size.png" -filter point -resize 400% \
            -background "$bg" -gravity center -extent "${cell}x${cell}" "$r-$i.png"
          cells+=("$r-$i.png")
        done
      done
      convert "${cells[@]}" +append "$r.png"
      rows+=("$r.png")
    done
  done
  convert "${rows[@]}" -append -depth 8 -strip -define png:exclude-chunks=date,time icons/preview.png
else
  echo "note: ImageMagick's convert not found, icons/preview.png not updated" >&2
fi
echo "icons regenerated from icons/src"
