"""Where a held-out document question's answer sits in its document (issue 15: PyramidInfer drops tokens by the
attention of their own batch's queries, so an early fact can be gone before its question arrives).

tasks/heldout.py plants 2-4 facts of one kind (tasks/families.HELDOUT_KINDS) in the hay and asks about one; its
samples keep the kind but not where the fact went. The question names the entity (a question template of the kind,
with {e} filled), the answer is the value, so the planted sentence is a statement template of the kind filled with
both, found verbatim in the document:

    depth = (start of that sentence + half its length) / the document's characters      0 = start, 1 = end

    answer_depth(sample) -> float, or None when the sample is no document question of a held-out kind
    depth_bin(depth)     -> index into DEPTH_BINS
"""
import re

from .tasks import families as F

KINDS = {k.name: k for k in F.HELDOUT_KINDS}
DEPTH_BINS = ("0–20%", "20–40%", "40–60%", "60–80%", "80–100%")
_PROMPT = re.compile(r"<document>\n(.*)\n</document>\n\nQuestion: (.*?)(?:<\|im_end\|>|$)", re.S)


def _entity(template, question):
    """The {e} a question template was filled with to give `question`, or None."""
    head, tail = template.split("{e}")
    m = re.fullmatch(re.escape(head) + "(.+)" + re.escape(tail), question.strip())
    return m.group(1) if m else None


def answer_depth(sample):
    kind = KINDS.get(sample.get("kind"))
    m = _PROMPT.search(sample.get("prompt", ""))
    if kind is None or m is None:
        return None
    document, question = m.group(1), m.group(2)
    for q in kind.questions:
        entity = _entity(q, question)
        if entity is None:
            continue
        for statement in kind.statements:
            sentence = statement.format(e=entity, v=sample["answer"])
            at = document.find(sentence)
            if at >= 0:
                return (at + len(sentence) / 2) / len(document)
    return None


def depth_bin(depth):
    return min(len(DEPTH_BINS) - 1, int(depth * len(DEPTH_BINS)))
