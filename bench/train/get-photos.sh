#!/bin/sh
# Fetches the photos listed in training-photos.txt from Debian packages (apt-get download, no
# root needed) into <dir>, for prepare-data.js.   sh bench/train/get-photos.sh /tmp/photos
set -eu
out=${1:?usage: get-photos.sh <dir>}
list=$(dirname "$0")/training-photos.txt
work=$(mktemp -d)
mkdir -p "$out"
grep -v '^#' "$list" | cut -d'|' -f1 | sort -u | while read -r pkg; do
  (cd "$work" && apt-get download "$pkg" >/dev/null && dpkg -x "$pkg"_*.deb x)
done
n=0
grep -v '^#' "$list" | while IFS='|' read -r pkg path; do
  n=$((n + 1))
  cp "$work/x$path" "$out/$(printf %02d "$n")-$(echo "$path" | tr / _ | sed 's/^_//')"
done
rm -rf "$work"
ls "$out" | wc -l
