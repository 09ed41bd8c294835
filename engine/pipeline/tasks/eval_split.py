"""Evaluation sets from held-out text and held-out seeds.

    /usr/bin/python3 -m engine.pipeline.tasks.eval_split --corpus engine/pipeline/build/corpus \\
        --tokenizer engine/pipeline/build/tokenizer/tokenizer.json --out engine/pipeline/build/eval

Writes <out>/docqa_<L>.jsonl for L in 1k, 4k, 8k, 16k and hashhop_<L>.jsonl for
1k, 4k, 8k (hops 1 and 2 alternating). Each line: id, task, target_tokens,
n_tokens, question, answer, prompt (ChatML with the generation prompt). Text
comes only from held-out documents (text_pool.is_heldout); seeds start at
EVAL_SEED_BASE, far from any training seed.
"""
import argparse
import json
import os
import sys

from . import doc_qa, hashhop
from .lengths import counter
from .text_pool import load_paragraphs

EVAL_SEED_BASE = 1_000_000
DOCQA_LENGTHS = {"1k": 1024, "4k": 4096, "8k": 8192, "16k": 16384}
HASHHOP_LENGTHS = {"1k": 1024, "4k": 4096, "8k": 8192}


def build_eval(corpus_dir, out, n=50, tokenizer=None):
    os.makedirs(out, exist_ok=True)
    count = counter(tokenizer)
    paras = load_paragraphs(corpus_dir, "eval")
    written = {}
    for i, (name, L) in enumerate(DOCQA_LENGTHS.items()):
        path = os.path.join(out, f"docqa_{name}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for k, s in enumerate(doc_qa.generate(paras, [L], n, EVAL_SEED_BASE + 100 * i, count)):
                f.write(json.dumps({"id": f"docqa_{name}_{k}", "task": "docqa", "target_tokens": L,
                                    "n_tokens": s.n_tokens, "depth": round(s.depth, 3), "question": s.question,
                                    "answer": s.answer, "prompt": s.prompt}, ensure_ascii=False) + "\n")
        written[path] = n
    for i, (name, L) in enumerate(HASHHOP_LENGTHS.items()):
        path = os.path.join(out, f"hashhop_{name}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for k, s in enumerate(hashhop.generate([L], [1, 2], n, EVAL_SEED_BASE + 1000 + 100 * i, count)):
                f.write(json.dumps({"id": f"hashhop_{name}_{k}", "task": "hashhop", "target_tokens": L,
                                    "n_tokens": s.n_tokens, "hops": s.hops, "question": s.question,
                                    "answer": s.answer, "prompt": s.prompt}, ensure_ascii=False) + "\n")
        written[path] = n
    return written


def main(argv=None):
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default=os.path.join(here, "build", "corpus"))
    p.add_argument("--tokenizer", default=os.path.join(here, "build", "tokenizer", "tokenizer.json"))
    p.add_argument("--out", default=os.path.join(here, "build", "eval"))
    p.add_argument("--n", type=int, default=50)
    a = p.parse_args(argv)
    tok = None
    if a.tokenizer and os.path.exists(a.tokenizer):
        from ..tokenizer import Tokenizer
        tok = Tokenizer.load(a.tokenizer)
    for path, n in build_eval(a.corpus, a.out, a.n, tok).items():
        print(f"{n} samples -> {path} ({os.path.getsize(path) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
