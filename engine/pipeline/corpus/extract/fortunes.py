"""fortune cookie files: entries separated by lines holding only "%".

`songs-poems` is dropped (lyrics). Entries of one file form one document,
separated by blank lines. Entries shaped "Q: question / A: answer" (either
order, as in riddles) become `faq` records.
"""
import glob
import os
import re

from ..text import clean

SKIP = {"songs-poems"}
_QA = re.compile(r"^\s*Q:\s*(.+?)\s*\n\s*A:\s*(.+?)\s*$", re.S)
_AQ = re.compile(r"^(?:.*\n)?\s*A:\s*(.+?)\s*\n\s*Q:\s*(.+?)\s*$", re.S)


def entries(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    for e in re.split(r"\n%\n", "\n" + text + "\n"):
        e = e.strip("\n")
        if e.strip():
            yield e


def qa_pair(entry):
    m = _QA.match(entry)
    if m:
        return " ".join(m.group(1).split()), " ".join(m.group(2).split())
    m = _AQ.match(entry)
    if m:
        return " ".join(m.group(2).split()), " ".join(m.group(1).split())
    return None


def extract(roots, sink):
    for root in roots:
        for path in sorted(glob.glob(os.path.join(root, "usr/share/games/fortunes/*"))):
            name = os.path.basename(path)
            if "." in name or name in SKIP or os.path.isdir(path):
                continue
            batch = []
            for e in entries(path):
                batch.append(e)
                qa = qa_pair(e)
                if qa and "A:" not in qa[0] and "Q:" not in qa[1]:
                    sink.record("faq", {"question": qa[0], "answer": qa[1], "source": "fortunes/" + name})
            sink.doc(clean("\n\n".join(batch)))
