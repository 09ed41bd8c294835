"""Real text for long-context tasks, split into training and held-out documents.

A document is held out when `is_heldout(source, index)`; prepare.py leaves the
same documents out of the training shards, so evaluation text is never trained on.
"""
import os

from ..corpus.text import DOC_SEP

# Narrative sources whose prose makes good haystacks.
HAYSTACK_SOURCES = ("sotu", "moby-dick", "brown", "sword-tdavid", "sword-mhcc", "sword-web", "wesnoth")
HELDOUT_EVERY = 20
HELDOUT_OFFSET = 7


def is_heldout(source, index):
    return index % HELDOUT_EVERY == HELDOUT_OFFSET


def read_documents(corpus_dir, source):
    path = os.path.join(corpus_dir, "text", source + ".txt")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [d.strip("\n") for d in f.read().split(DOC_SEP) if d.strip()]


def load_paragraphs(corpus_dir, split="train", sources=HAYSTACK_SOURCES):
    """Paragraphs (list of str) of the documents in the split, in corpus order."""
    want_heldout = split == "eval"
    paras = []
    for s in sources:
        for i, doc in enumerate(read_documents(corpus_dir, s)):
            if is_heldout(s, i) == want_heldout:
                paras.extend(p for p in doc.split("\n") if p.strip())
    return paras
