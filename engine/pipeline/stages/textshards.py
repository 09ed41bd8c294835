"""Plain-text token shards for the language-model and distillation batches of tasktune and convert, made
from a compact text sample so that they can travel to a GPU machine as text (xz) and be tokenized there.

    # here: about 40 MB of training-split text, narrative weighted x3 as in corpus/prepare.py
    /usr/bin/python3 -m engine.pipeline.stages.textshards sample --corpus engine/pipeline/build/corpus \
        --out engine/pipeline/build/taskdata/text.txt.xz
    # there (or here): token shards data.load_tokens reads
    python -m engine.pipeline.stages.textshards tokenize --text text.txt.xz --tokenizer tokenizer.json --out SHARDS

tokenize uses the `tokenizers` library when it can be imported (the same ids as tokenizer/bpe.py for this
project's tokenizer.json: bpe.py's docstring), else bpe.py.
"""
import argparse
import json
import lzma
import os
import random

import numpy as np

from ..corpus.sources import SOURCES
from ..corpus.text import DOC_SEP
from ..tasks.text_pool import is_heldout, read_documents

GROUP_SHARE = {"narrative": 0.55, "reference": 0.2, "technical": 0.25}


def write_sample(corpus_dir, out, total_chars=40_000_000, seed=0):
    rng = random.Random(seed)
    by_group = {}
    for s in SOURCES:
        if s.skip:
            continue
        docs = [d for i, d in enumerate(read_documents(corpus_dir, s.name)) if not is_heldout(s.name, i)]
        by_group.setdefault(s.group, []).extend(docs)
    picked = []
    for group, docs in by_group.items():
        rng.shuffle(docs)
        budget, n = total_chars * GROUP_SHARE[group], 0
        for d in docs:
            if n >= budget:
                break
            d = d[: int(budget - n) + 1000]
            picked.append(d)
            n += len(d)
    rng.shuffle(picked)
    with lzma.open(out, "wt", encoding="utf-8", preset=6) as f:
        f.write(DOC_SEP.join(picked))
    return len(picked), sum(map(len, picked))


def tokenize(text_path, tokenizer_path, out, shard_tokens=8_000_000, heldout_tokens=300_000):
    from ..tokenizer.special import ENDOFTEXT
    with lzma.open(text_path, "rt", encoding="utf-8") as f:
        docs = [d for d in f.read().split(DOC_SEP) if d.strip()]
    try:
        from tokenizers import Tokenizer as Fast
        fast = Fast.from_file(tokenizer_path)
        encoded = [e.ids for e in fast.encode_batch(docs, add_special_tokens=False)]
        eot = fast.token_to_id(ENDOFTEXT)
    except ImportError:
        from ..tokenizer.bpe import Tokenizer
        tok = Tokenizer.load(tokenizer_path)
        encoded = [tok.encode_ordinary(d) for d in docs]
        eot = tok.special_ids[ENDOFTEXT]
    ids = np.fromiter((t for doc in encoded for t in [eot] + doc), dtype=np.uint16)
    os.makedirs(out, exist_ok=True)
    # the last `heldout_tokens` are set aside (heldout_000.bin: data.load_tokens trains on them never; the head
    # analysis of stages/analyze.py reads them)
    ids[len(ids) - heldout_tokens:].astype("<u2").tofile(os.path.join(out, "heldout_000.bin"))
    ids = ids[:len(ids) - heldout_tokens]
    shards = []
    for k in range(0, len(ids), shard_tokens):
        name = f"text_{k // shard_tokens:03d}.bin"
        ids[k:k + shard_tokens].astype("<u2").tofile(os.path.join(out, name))
        shards.append(name)
    with open(os.path.join(out, "mix.json"), "w") as f:
        json.dump({"dtype": "uint16-le", "shards": shards, "tokens": int(len(ids)), "source": text_path}, f)
    return len(ids)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--corpus", default="engine/pipeline/build/corpus")
    s.add_argument("--out", default="engine/pipeline/build/taskdata/text.txt.xz")
    s.add_argument("--chars", type=int, default=40_000_000)
    t = sub.add_parser("tokenize")
    t.add_argument("--text", required=True)
    t.add_argument("--tokenizer", required=True)
    t.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    if a.cmd == "sample":
        n, chars = write_sample(a.corpus, a.out, a.chars)
        print(f"{n} documents, {chars / 1e6:.1f} MB -> {a.out} ({os.path.getsize(a.out) / 1e6:.1f} MB xz)")
    else:
        print(f"{tokenize(a.text, a.tokenizer, a.out)} tokens -> {a.out}")


if __name__ == "__main__":
    main()
