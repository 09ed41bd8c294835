"""How a reply to a held-out sample (tasks/heldout.py) is judged, and 95% Wilson intervals.

One scorer for every evaluator: the GPU PyTorch reference (stages/evaluate_torch.py) and llama.cpp
(evaluate.mjs) both record raw replies; results.py scores them here.
"""
import math
import re

from . import families as F
from .chat_template import parse_chatml

_ARTICLE = re.compile(r"^(the|a|an)\s+")
# text of the training templates that must never appear in a reply to a plain turn
LEAK_MARKERS = ["<document", "</document", "question:", "<|im_start|>", "<|im_end|>", "<|endoftext|>",
                "read the document below", "answer from this document", "using only the text above",
                "i am going to paste", "follow the links", "string on the left leads"] + \
               [st.split("{")[0].strip().lower() for k in F.TRAIN_KINDS for st in k.statements
                if len(st.split("{")[0].strip()) >= 14]


def normalize(s):
    s = s.strip().lower()
    s = re.sub(r"[\"'`“”‘’]", "", s)
    s = re.sub(r"[.,;:!?)\]]+$", "", s).strip()
    s = re.sub(r"^[(\[]+", "", s)
    return " ".join(_ARTICLE.sub("", s).split())


def last_word(s):
    words = re.findall(r"[A-Za-z0-9][A-Za-z0-9\-]*", s)
    return words[-1].lower() if words else ""


def leaks(reply):
    r = reply.lower()
    return any(m in r for m in LEAK_MARKERS)


def says_unknown(reply):
    r = reply.lower().replace("’", "'")
    return any(p in r for p in ("don't know", "do not know", "not sure", "cannot tell", "can't tell", "no information"))


def declines(reply):
    r = reply.lower().replace("’", "'")
    return any(p in r for p in ("can't", "cannot", "can not", "unable", "not able"))


def fits(sample, reply):
    """For an open turn, whether the reply is the kind it asks for (None for other samples): a greeting or a question
    about the model gets a description of the model and no refusal; a request the model cannot serve gets a refusal
    or "I don't know"."""
    if sample["score"] != "open":
        return None
    text = next((m["content"].strip() for m in parse_chatml(sample.get("prompt", ""))[0] if m["role"] == "user"), "")
    if text in F.HELDOUT_GREETINGS or text in F.TRAIN_GREETINGS:
        return re.search(r"\b(model|recurformer)\b", reply.lower()) is not None and not declines(reply)
    if text in F.HELDOUT_CANNOT or text in F.TRAIN_CANNOT:
        return declines(reply) or says_unknown(reply)
    return None


def judge(sample, reply, ended):
    """{"correct": bool or None (open turns have no gold), "leak": bool, "ended": bool, "fits": bool or None (`fits`)}"""
    kind, gold = sample["score"], sample["answer"]
    if kind == "exact":
        ok = normalize(reply) == normalize(gold)
    elif kind == "last":
        ok = last_word(reply) == last_word(gold)
    elif kind == "contains":
        # whole words only ("pear" is not in "appear", "2" not in "2015"); a plural or a possessive (its
        # apostrophe normalized away) still holds the word: "Luxembourg's location ..."
        g = normalize(gold).split(" (")[0]
        before = r"(?<![a-z0-9])" if g[:1].isalnum() else ""
        after = r"s?(?![a-z0-9])" if g[-1:].isalnum() else ""
        ok = bool(g) and re.search(before + re.escape(g) + after, normalize(reply)) is not None
    elif kind == "unknown":
        ok = says_unknown(reply)
    elif kind == "open":
        ok = None
    else:
        raise ValueError(f"unknown score kind {kind!r}")
    return {"correct": ok, "leak": leaks(reply), "ended": bool(ended), "fits": fits(sample, reply)}


def wilson(k, n, z=1.96):
    """95% Wilson score interval of k successes in n, as fractions (lo, hi); (0, 1) when n = 0."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def summarize(samples, replies):
    """samples: heldout rows; replies: {id: {"reply", "ended"}} -> {"n", "correct", "rate", "ci",
    "leaks", "ended", "fitting", "fit_graded"} over the samples that have a reply."""
    judged = [judge(s, replies[s["id"]]["reply"], replies[s["id"]]["ended"]) for s in samples if s["id"] in replies]
    graded = [j["correct"] for j in judged if j["correct"] is not None]
    k, n = sum(graded), len(graded)
    lo, hi = wilson(k, n)
    return {"n": len(judged), "graded": n, "correct": k, "rate": k / n if n else None, "ci": [lo, hi],
            "leaks": sum(j["leak"] for j in judged), "ended": sum(j["ended"] for j in judged),
            "fitting": sum(bool(j["fits"]) for j in judged), "fit_graded": sum(j["fits"] is not None for j in judged)}
