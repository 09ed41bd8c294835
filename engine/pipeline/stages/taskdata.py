"""Freshly generated long-context task rows for training: document Q&A (planted facts in real
training-split text) and HashHop chains, packed into rows of `seq_len` tokens with a mask that marks
the answer tokens (the assistant turn). Generated on the fly by worker processes, so no sample
repeats and retrieval, not memorisation, is what lowers the loss.

The haystack paragraphs come from `paragraphs.txt.xz` (one paragraph per line, training split only),
written by `python -m engine.pipeline.stages.taskdata --corpus DIR --out FILE`.

With a Hugging Face checkpoint's own tokenizer.json (tokenizer/pretrained.py) the rows are that model's:
its separator (BOS, else <|endoftext|>) before every sample and the sample in its chat template
(tokenizer_config.json), the mask on the answer and the template's end of turn (<|im_end|>\n, <|eot_id|>).
"""
from __future__ import annotations

import argparse
import lzma
import multiprocessing as mp
import os
import random
from typing import List, Tuple

import numpy as np
import torch

from ..tasks.doc_qa import make_doc_qa
from ..tasks.hashhop import make_hashhop
from ..tasks.text_pool import load_paragraphs
from ..tokenizer.pretrained import PretrainedTokenizer, load_tokenizer
from ..tokenizer.special import ENDOFTEXT, IM_END

DOC_LENGTHS = (384, 768, 1536, 3000)       # approximate tokens of a document Q&A haystack
HOP_LENGTHS = (256, 512, 1024, 2000)

_state = {}


def _init(tokenizer_path: str, paragraphs_path: str):
    _state["tok"] = load_tokenizer(tokenizer_path)
    with lzma.open(paragraphs_path, "rt", encoding="utf-8") as f:
        _state["paras"] = [p for p in f.read().split("\n") if p.strip()]


def _sample(rng: random.Random) -> Tuple[List[int], List[int]]:
    tok = _state["tok"]
    if rng.random() < 0.6:
        s = make_doc_qa(rng, _state["paras"], rng.choice(DOC_LENGTHS))
    else:
        s = make_hashhop(rng, rng.choice(HOP_LENGTHS), rng.choice((1, 1, 2)))
    if isinstance(tok, PretrainedTokenizer):
        prompt_text, answer_text = tok.chat.prompt_and_answer(s.sample, tok.strip_text())
        prompt, answer = tok.encode(prompt_text), tok.encode(answer_text)
    else:
        prompt = tok.encode(s.prompt)
        answer = tok.encode(s.answer + IM_END + "\n")
    return prompt + answer, [0] * len(prompt) + [1] * len(answer)


def _row(args) -> Tuple[np.ndarray, np.ndarray]:
    seed, seq_len = args
    rng = random.Random(seed)
    tok = _state["tok"]
    eot = [tok.separator_id] if isinstance(tok, PretrainedTokenizer) else tok.encode(ENDOFTEXT)
    ids, mask = [], []
    while len(ids) < seq_len + 1:
        t, m = _sample(rng)
        ids += eot + t
        mask += [0] * len(eot) + m
    return np.array(ids[:seq_len + 1], dtype=np.int64), np.array(mask[:seq_len + 1], dtype=np.float32)


def check_tokenizer(tokenizer_path: str, vocab_size: int) -> None:
    """Refuses a tokenizer whose ids the model has no embedding for (another model's tokenizer.json), or
    whose chat template cannot be rendered here."""
    tok = load_tokenizer(tokenizer_path)
    if isinstance(tok, PretrainedTokenizer):
        tok.chat.check()                      # a template that cannot be rendered fails here, not in a worker
    n = tok.vocab_size
    if n > vocab_size:
        raise ValueError(f"{tokenizer_path} has {n} token ids, the model only {vocab_size}: give the model's own "
                         "tokenizer.json (a Hugging Face checkpoint's is in its directory)")


class TaskBatches:
    """(rows, answer_mask) batches from a pool of generator processes, prefetched. Row i of a step
    has its own seed; data-parallel rank r of `world` makes rows r*B..(r+1)*B-1 (as data.Batches)."""

    def __init__(self, tokenizer_path: str, paragraphs_path: str, batch: int, seq_len: int, seed: int,
                 workers: int = 8, rank: int = 0, world: int = 1):
        self.batch, self.seq_len, self.seed = batch, seq_len, seed
        self.first_row = rank * batch
        self.pool = mp.get_context("spawn").Pool(workers, _init, (tokenizer_path, paragraphs_path))
        self.pending = {}

    def _submit(self, step: int):
        if step not in self.pending:
            seeds = [(self.seed * 1_000_003 + step * 4096 + i, self.seq_len)
                     for i in range(self.first_row, self.first_row + self.batch)]
            self.pending[step] = self.pool.map_async(_row, seeds)

    def get(self, step: int, device):
        for s in range(step, step + 4):
            self._submit(s)
        rows = self.pending.pop(step).get()
        ids = torch.from_numpy(np.stack([r[0] for r in rows])).to(device, non_blocking=True)
        mask = torch.from_numpy(np.stack([r[1] for r in rows])).to(device, non_blocking=True)
        return ids, mask

    def close(self):
        self.pool.terminate()


def write_paragraphs(corpus_dir: str, out: str) -> int:
    paras = load_paragraphs(corpus_dir, split="train")
    with lzma.open(out, "wt", encoding="utf-8", preset=6) as f:
        f.write("\n".join(p.replace("\n", " ") for p in paras))
    return len(paras)


def main(argv=None):
    ap = argparse.ArgumentParser(description="write the training-split haystack paragraphs")
    ap.add_argument("--corpus", default="engine/pipeline/build/corpus")
    ap.add_argument("--out", default="engine/pipeline/build/taskdata/paragraphs.txt.xz")
    args = ap.parse_args(argv)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    print(f"{write_paragraphs(args.corpus, args.out)} paragraphs -> {args.out}")


if __name__ == "__main__":
    main()
