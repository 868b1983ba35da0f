#!/usr/bin/env bash
# Regenerates every icon from one drawing: the app icon in each PNG size, the tray icons, and the
# platform icons the installers need. Run from anywhere (after `npm ci` in ui/, for the Tauri CLI):
#   bash icons/generate.sh
# Drawn with ImageMagick 6 (`convert`) at 4x (2048 px) and downsampled, so small sizes stay smooth.
# Motif: a row of three patch-bay jacks, two of them joined by a patch cable.
# - PNGs (16x16 … 512x512 as icon.png, 128x128@2x): ImageMagick, from the 2048 px drawing; the
#   Linux bundles install each into the hicolor theme, and the first PNG in tauri.conf.json is the
#   window icon.
# - icon.ico (Windows), icon.icns (macOS), Square*Logo.png and StoreLogo.png (Windows): the Tauri
#   CLI's `tauri icon`, from a 1024 px master of the same drawing (its Android and iOS sets are
#   not kept: Patchbay is a desktop app).
# - tray-*.png: the 32 px icon with a status dot.
set -euo pipefail
cd "$(dirname "$0")"
convert=/usr/bin/convert   # the real ImageMagick, not a stand-in earlier on PATH
[ -x "$convert" ] || convert=convert
tauri=../ui/node_modules/.bin/tauri   # @tauri-apps/cli, pinned in ui/package.json
if [ ! -x "$tauri" ]; then
  echo "generate.sh: $tauri is missing: run \`npm ci\` in ui/ first" >&2
  exit 1
fi

S=2048                      # working canvas
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Background: indigo→violet diagonal gradient clipped to a rounded square.
"$convert" -size ${S}x${S} -define gradient:direction=SouthEast gradient:'#6366f1-#8b5cf6' "$work/bg.png"
"$convert" -size ${S}x${S} xc:none -fill white -draw "roundrectangle 0,0 $((S-1)),$((S-1)) 464,464" "$work/mask.png"
"$convert" "$work/bg.png" "$work/mask.png" -alpha off -compose CopyOpacity -composite "$work/base.png"

# The cable: a half-elliptical arch (an open stroked path would be closed by IM6's renderer),
# cut from an outer and an inner ellipse and ending under the jacks.
"$convert" -size ${S}x${S} xc:none -fill '#fbbf24' -draw "ellipse 1024,1340 564,774 0,360" "$work/outer.png"
"$convert" -size ${S}x${S} xc:none -fill black -draw "ellipse 1024,1340 396,606 0,360" \
  -draw "rectangle 0,1340 $((S-1)),$((S-1))" "$work/cut.png"
"$convert" "$work/outer.png" "$work/cut.png" -compose DstOut -composite "$work/cable.png"

# Jacks at y=1340 (x = 544, 1024, 1504): the outer two hold the cable's plugs, the middle is free.
"$convert" "$work/base.png" "$work/cable.png" -compose Over -composite \
  -fill white -draw "circle 544,1340 544,1140" -draw "circle 1024,1340 1024,1140" -draw "circle 1504,1340 1504,1140" \
  -fill '#3730a3' -draw "circle 1024,1340 1024,1252" \
  -fill '#fbbf24' -draw "circle 544,1340 544,1212" -draw "circle 1504,1340 1504,1212" \
  -fill '#d97706' -draw "circle 544,1340 544,1280" -draw "circle 1504,1340 1504,1280" \
  "$work/icon.png"

for size in 16 24 32 48 64 128 256 512 1024; do
  "$convert" "$work/icon.png" -filter Lanczos -resize ${size}x${size} -depth 8 -strip "PNG32:$work/$size.png"
done

# Platform icons from the 1024 px master; only the desktop ones are kept.
"$tauri" icon "$work/1024.png" --output "$work/tauri" >"$work/tauri.log" 2>&1 \
  || { cat "$work/tauri.log" >&2; exit 1; }
cp "$work/tauri/icon.ico" "$work/tauri/icon.icns" "$work/tauri/StoreLogo.png" .
cp "$work/tauri"/Square*Logo.png .

for size in 16 24 32 48 64 128 256; do
  cp "$work/$size.png" ${size}x${size}.png
done
cp "$work/256.png" 128x128@2x.png
cp "$work/512.png" icon.png

# Tray: the 32 px icon with a status dot in the bottom-right corner, ringed so it reads on any panel.
tray() { # name colour
  "$convert" -size 128x128 xc:none \
    -fill white -draw "circle 100,100 100,72" \
    -fill "$2" -draw "circle 100,100 100,79" \
    -filter Lanczos -resize 32x32 "$work/dot-$1.png"
  "$convert" "$work/32.png" "$work/dot-$1.png" -compose Over -composite -depth 8 -strip "PNG32:tray-$1.png"
}
tray ok '#16a34a'
tray attention '#f59e0b'
tray empty '#9ca3af'
