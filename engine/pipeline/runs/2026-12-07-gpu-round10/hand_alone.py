"""The hand-written probes with each planted sentence alone as its document (no held-out hay): is the sentence
read at all? A diagnostic for rounds 10 and 11, not a pinned set (results.py would refuse its replies). Run from the
repository root:

  /usr/bin/python3 engine/pipeline/runs/2026-12-07-gpu-round10/hand_alone.py make /tmp/alone
  node engine/pipeline/evaluate.mjs --heldout /tmp/alone --samples docqa_hand_2k=60 --ppl-windows 1 --no-report \\
      --out R/replies-llama-hand-alone.json --models A.gguf,B.gguf
  /usr/bin/python3 engine/pipeline/runs/2026-12-07-gpu-round10/hand_alone.py score R/replies-llama-hand-alone.json
"""
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), *[".."] * 4))   # the repository root
from engine.pipeline.tasks import scoring
from engine.pipeline.tasks.handwritten import PROBES

HELDOUT = os.path.join("engine", "pipeline", "build", "heldout")


def make(out):
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(HELDOUT):                  # evaluate.mjs reads the whole directory
        if name != "docqa_hand_2k.jsonl":
            shutil.copy(os.path.join(HELDOUT, name), out)
    with open(os.path.join(HELDOUT, "docqa_hand_2k.jsonl"), encoding="utf-8") as f, \
            open(os.path.join(out, "docqa_hand_2k.jsonl"), "w", encoding="utf-8") as g:
        for line, (sentence, _, answer) in zip(f, PROBES):
            row = json.loads(line)
            head, rest = row["prompt"].split("<document>\n", 1)
            assert sentence in rest and row["answer"] == answer, row["id"]
            row["prompt"] = head + "<document>\n" + sentence + "\n</document>" + rest.split("\n</document>", 1)[1]
            g.write(json.dumps(row) + "\n")


OPENERS = {"the", "a", "an", "my", "our", "his", "her", "its", "their", "this"}


def first_word(text):
    """The first word of `text` that is not an article or a possessive, lower-cased ("" when none)."""
    words = [w.lower() for w in re.findall(r"[A-Za-z0-9'-]+", text) if w.lower() not in OPENERS]
    return words[0] if words else ""


def score(paths):
    """Per model: right, "I don't know", and wrong replies that open like the planted sentence (its subject given
    for any question, which no hand-written probe asks)."""
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for m in json.load(f)["models"]:
                replies = [m["replies"][f"docqa_hand_2k_{i}"]["reply"] for i in range(len(PROBES))]
                right = [scoring.judge({"score": "contains", "answer": a}, r, True)["correct"]
                         for r, (_, _, a) in zip(replies, PROBES)]
                unknown = sum(scoring.says_unknown(r) for r in replies)
                subject = sum(not ok and first_word(r) != "" and first_word(r) == first_word(s)
                              for ok, r, (s, _, _) in zip(right, replies, PROBES))
                print(f"{m['model']}: {sum(right)} of {len(PROBES)} right, {unknown} \"I don't know.\", "
                      f"{subject} wrong with the sentence's subject")


if __name__ == "__main__":
    make(sys.argv[2]) if sys.argv[1] == "make" else score(sys.argv[2:])
