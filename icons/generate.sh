#!/usr/bin/env bash
# Regenerates the app and tray icons with ImageMagick 6 (`convert`). Run from anywhere:
#   bash icons/generate.sh
# Drawn at 4x (2048 px) and downsampled, so small sizes stay smooth.
# Motif: a row of three patch-bay jacks, two of them joined by a patch cable.
set -euo pipefail
cd "$(dirname "$0")"
convert=/usr/bin/convert   # the real ImageMagick, not a stand-in earlier on PATH
[ -x "$convert" ] || convert=convert

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

for size in 32 128 256 512; do
  "$convert" "$work/icon.png" -filter Lanczos -resize ${size}x${size} -depth 8 -strip "PNG32:$work/$size.png"
done
cp "$work/32.png" 32x32.png
cp "$work/128.png" 128x128.png
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
