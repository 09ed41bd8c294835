"""Held-out evaluation sets: families.HELDOUT_* only, on text no training stage read.

    /usr/bin/python3 -m engine.pipeline.tasks.heldout                  # the pinned sets -> build/heldout
    /usr/bin/python3 -m engine.pipeline.tasks.heldout --regenerate [--pin]

By default the sets every result is measured on are unpacked from the repository's pinned copy
(tasks/pinned.py says why); --regenerate builds them again from the packages and says which sets differ
from the pinned ones, --pin makes the regenerated sets the pinned copy (old replies then no longer score).

Haystack and perplexity text come from families.HELDOUT_HAY_SOURCES, Debian packages the corpus never
reads (fetched with corpus/fetch.py into the corpus cache): the PostgreSQL 15 manual (HTML) and the Perl
documentation (POD). Each set is <out>/<name>.jsonl, one sample a line:

  id, set, prompt (ChatML ending in the generation prompt, or raw text for hop_raw), answer, score, max_tokens

score says how scoring.py judges the reply: "exact" (normalized exact match), "last" (the reply's last
word, for multi-hop answers that name each step), "contains" (the gold value appears in the reply, for plain
questions answered in a sentence), "open" (no gold: template leaks and ending by itself are counted),
"unknown" (the reply says it does not know). heldout_text.txt holds the perplexity text.
"""
import argparse
import glob
import json
import os
import random
import re
import sys

from ..corpus.extract.markup import html_to_text
from ..corpus.fetch import fetch
from . import families as F
from . import handwritten, pinned
from . import skills
from .chat_template import format_chat
from .lengths import counter

SEED = 7_000_000                  # far from any training seed
DOC_SETS = {"docqa_1k": (1024, 50), "docqa_4k": (4096, 50), "docqa_8k": (8192, 50), "docqa_16k": (16384, 20)}
HAND_SET = ("docqa_hand_2k", 2048)  # tasks/handwritten.py's sentences, each alone in this many tokens
HOP_SETS = {"hop1_1k": (1024, 1, 50), "hop1_4k": (4096, 1, 50), "hop2_1k": (1024, 2, 50), "hop2_4k": (4096, 2, 50)}
HELDOUT_PACKAGES = {"postgresql-doc": ("postgresql-doc-15", "usr/share/doc/postgresql-doc-15/html/*.html"),
                    "perl-doc": ("perl-doc", "usr/share/perl/*/pod/*.pod")}


def pod_to_text(src):
    out = []
    for block in re.split(r"\n\s*\n", src):
        b = block.strip()
        if not b or b.startswith("=") and not b.startswith("=head") or block.startswith((" ", "\t")):
            continue                                   # directives and verbatim (code) blocks
        b = re.sub(r"^=head\d\s+", "", b)
        b = re.sub(r"[BICFLSEXZ]<+([^<>]*?)>+", lambda m: m.group(1).split("|")[0], b)
        out.append(" ".join(b.split()))
    return out


def heldout_paragraphs(cache):
    """source -> paragraphs of the held-out packages (fetched into `cache` when missing)."""
    out = {}
    for source, (package, pattern) in HELDOUT_PACKAGES.items():
        root, _ = fetch("apt", package, cache)
        paras = []
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            with open(path, encoding="utf-8", errors="replace") as f:
                src = f.read()
            parts = pod_to_text(src) if path.endswith(".pod") else html_to_text(src).split("\n")
            paras += [p.strip() for p in parts if len(p.strip()) > 40 and not p.strip().startswith(("<", "$", "%"))]
        out[source] = paras
    return out


def _chat_prompt(text):
    return format_chat([{"role": "user", "content": text}], add_generation_prompt=True)


def doc_sample(rng, data, target, count):
    kind = rng.choice(F.HELDOUT_KINDS)
    facts = skills.distinct_facts(rng, kind, rng.randint(2, 4))
    budget = target - 80 - sum(count(f[2]) for f in facts)
    body = skills.plant(rng, skills.hay_text(rng, data, budget, count), [f[2] for f in facts])
    e, v, _, q = rng.choice(facts)
    prompt = _chat_prompt(skills.ask(rng, "\n".join(body), q, F.HELDOUT_WRAPPERS))
    return {"prompt": prompt, "answer": v, "score": "exact", "max_tokens": 24, "kind": kind.name}


def hand_sample(rng, data, probe, target, count):
    sentence, question, answer = probe
    body = skills.plant(rng, skills.hay_text(rng, data, target - 80 - count(sentence), count), [sentence])
    prompt = _chat_prompt(skills.ask(rng, "\n".join(body), question, F.HELDOUT_WRAPPERS))
    return {"prompt": prompt, "answer": answer, "score": "contains", "max_tokens": 32}


def hop_sample(rng, target, hops, count):
    doc, chain = skills.hop_document(rng, target - 40, hops, rng.choice(F.HELDOUT_HOP_LINES), "", 8, count)
    q = (rng.choice(F.HELDOUT_HOP_QUESTIONS_1) if hops == 1 else rng.choice(F.HELDOUT_HOP_QUESTIONS_N)).format(
        s=chain[0], n=hops)
    return {"prompt": _chat_prompt(f"{doc}\n\n{q}"), "answer": chain[-1], "score": "exact" if hops == 1 else "last",
            "max_tokens": 16 if hops == 1 else 40}


def fact_samples(rng, facts, n):
    pool = [f for f in facts if f["field"] in F.HELDOUT_FACT_QUESTIONS]
    rng.shuffle(pool)
    out = []
    for f in pool[:n]:
        q = rng.choice(F.HELDOUT_FACT_QUESTIONS[f["field"]]).format(c=f["country"])
        out.append({"prompt": _chat_prompt(q), "answer": f["value"], "score": "contains", "max_tokens": 48,
                    "field": f["field"]})
    return out


def open_samples(rng, n_unknown):
    out = [{"prompt": _chat_prompt(t), "answer": "", "score": "open", "max_tokens": 128}
           for t in F.HELDOUT_GREETINGS + F.HELDOUT_CANNOT]
    for _ in range(n_unknown):
        x = F.invented(rng, (3, 4)) + rng.choice(["ia", "stan", "land", "ovia", ""])
        out.append({"prompt": _chat_prompt(rng.choice(F.HELDOUT_UNKNOWN).format(x=x)), "answer": F.DONT_KNOW,
                    "score": "unknown", "max_tokens": 128})
    return out


def build(out, cache, facts_path, tokenizer=None):
    F.check_disjoint()
    os.makedirs(out, exist_ok=True)
    count = counter(tokenizer)
    paras = heldout_paragraphs(cache)
    rng = random.Random(SEED)
    # perplexity text: every 10th paragraph run of 20, set aside from the haystack pool
    ppl, hay = [], {}
    for s, ps in paras.items():
        ppl += [p for i, p in enumerate(ps) if (i // 20) % 10 == 0]
        hay[s] = [p for i, p in enumerate(ps) if (i // 20) % 10 != 0]
    data = skills.SkillData(hay, [], [], [])
    sets = {}
    for i, (name, (target, n)) in enumerate(DOC_SETS.items()):
        sets[name] = [doc_sample(random.Random(SEED + 100 * i + k), data, target, count) for k in range(n)]
    for i, (name, (target, hops, n)) in enumerate(HOP_SETS.items()):
        sets[name] = [hop_sample(random.Random(SEED + 10_000 + 100 * i + k), target, hops, count) for k in range(n)]
    with open(facts_path, encoding="utf-8") as f:
        facts = json.load(f)
    sets["facts"] = fact_samples(rng, facts, 100)
    sets["open"] = open_samples(rng, 50 - len(F.HELDOUT_GREETINGS) - len(F.HELDOUT_CANNOT))
    name, target = HAND_SET
    sets[name] = [hand_sample(random.Random(SEED + 20_000 + k), data, probe, target, count)
                  for k, probe in enumerate(handwritten.PROBES)]
    for name, samples in sets.items():
        with open(os.path.join(out, name + ".jsonl"), "w", encoding="utf-8") as f:
            for k, s in enumerate(samples):
                f.write(json.dumps({"id": f"{name}_{k}", "set": name, **s}, ensure_ascii=False) + "\n")
    with open(os.path.join(out, "heldout_text.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(ppl))
    return {name: len(s) for name, s in sets.items()}


def main(argv=None):
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=os.path.join(here, "build", "heldout"))
    p.add_argument("--cache", default=os.path.join(here, "build", "cache"))
    p.add_argument("--facts", default=os.path.join(here, "build", "taskdata", "facts.json"),
                   help="the reference facts (stages/taskdata.py --skills writes them beside skills.json.xz)")
    p.add_argument("--tokenizer", default=os.path.join(here, "build", "tokenizer", "tokenizer.json"))
    p.add_argument("--regenerate", action="store_true", help="build the sets from the packages, not the pinned copy")
    p.add_argument("--pin", action="store_true", help="with --regenerate: make them the pinned copy")
    a = p.parse_args(argv)
    if a.pin and not a.regenerate:
        p.error("--pin needs --regenerate")
    if not a.regenerate:
        for name, fp in pinned.unpack(a.out).items():
            print(f"{name} {fp} -> {a.out}")
        return 0
    tok = None
    if a.tokenizer and os.path.exists(a.tokenizer):
        from ..tokenizer import Tokenizer
        tok = Tokenizer.load(a.tokenizer)
    for name, n in build(a.out, a.cache, a.facts, tok).items():
        print(f"{n:4d} samples -> {os.path.join(a.out, name + '.jsonl')}")
    if a.pin:
        pinned.pin(a.out)
        print(f"pinned -> {pinned.PINNED}")
    elif os.path.exists(pinned.PINNED):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            current = pinned.fingerprints(a.out)
            differ = pinned.mismatches(pinned.unpack(d), current, current)
        print("same as the pinned sets" if not differ else f"differ from the pinned sets: {', '.join(differ)} "
              "(replies made on the pinned sets do not score against these)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
