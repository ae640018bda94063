#!/bin/sh
# Fetches the held-out photos listed in heldout-photos.txt from Debian packages (apt-get download,
# no root needed) into <dir>, for bench/local-quality.js --heldout.   sh bench/train/get-heldout.sh /tmp/heldout
# scipy's face.dat (a bzip2'd 1024x768 RGB raster) is written as face.png.
set -eu
out=${1:?usage: get-heldout.sh <dir>}
list=$(dirname "$0")/heldout-photos.txt
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
mkdir -p "$out"
grep -v '^#' "$list" | cut -d'|' -f1 | sort -u | while read -r pkg; do
  (cd "$work" && apt-get download "$pkg" >/dev/null && dpkg -x "$pkg"_*.deb x)
done
grep -v '^#' "$list" | cut -d'|' -f2 | while read -r path; do
  name=$(basename "$path")
  case "$name" in
    *.dat)
      bzip2 -dc "$work/x$path" > "$work/face.rgb"
      (cd "$root" && node -e "require('sharp')(require('fs').readFileSync(process.argv[1]), { raw: { width: 1024, height: 768, channels: 3 } }).png().toFile(process.argv[2])" "$work/face.rgb" "$out/${name%.dat}.png")
      ;;
    *) cp "$work/x$path" "$out/$name" ;;
  esac
done
rm -rf "$work"
ls "$out" | wc -l
