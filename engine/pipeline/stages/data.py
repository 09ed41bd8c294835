"""Training tokens: shards of little-endian token ids (`NAME.bin`, optionally `.xz`-compressed, as written
by the corpus `prepare` command; `heldout*` shards are held out) concatenated into one array; batches are
random windows of it.

The id width is the `dtype` that prepare records in the directory's mix.json: "uint16-le" for vocabularies
that fit (this project's 16k tokenizer), "uint32-le" for larger ones (Qwen2.5: 151,665 ids, Llama-3:
128,256). A directory without mix.json holds uint16 shards."""
from __future__ import annotations

import glob
import json
import lzma
import os

import numpy as np
import torch

DTYPES = {"uint16-le": np.dtype("<u2"), "uint32-le": np.dtype("<u4")}


def shard_dtype(directory: str) -> np.dtype:
    """The id type of the shards in `directory`: mix.json's "dtype", uint16 when there is no mix.json."""
    mix = os.path.join(directory, "mix.json")
    if not os.path.exists(mix):
        return DTYPES["uint16-le"]
    with open(mix, encoding="utf-8") as f:
        name = json.load(f).get("dtype", "uint16-le")
    if name not in DTYPES:
        raise ValueError(f"{mix}: token dtype {name!r} is not one of {', '.join(DTYPES)}")
    return DTYPES[name]


def load_tokens(directory: str, heldout: bool = False) -> np.ndarray:
    pattern = "heldout*.bin*" if heldout else "*.bin*"
    files = sorted(f for f in glob.glob(os.path.join(directory, pattern))
                   if heldout or not os.path.basename(f).startswith("heldout"))
    if not files:
        raise FileNotFoundError(f"no token shards matching {pattern} in {directory}")
    dtype = shard_dtype(directory)
    parts = []
    for f in files:
        opener = lzma.open if f.endswith(".xz") else open
        with opener(f, "rb") as fh:
            raw = fh.read()
        if len(raw) % dtype.itemsize:
            raise ValueError(f"{f}: {len(raw)} bytes is not a whole number of {dtype.itemsize}-byte token ids "
                             f"(mix.json dtype {dtype.name})")
        parts.append(np.frombuffer(raw, dtype=dtype))
    return np.concatenate(parts)


def check_token_range(tokens: np.ndarray, vocab_size: int, what: str) -> None:
    """Refuses token ids the model has no embedding for (shards made with another model's tokenizer)."""
    top = int(tokens.max()) if len(tokens) else -1
    if top >= vocab_size:
        raise ValueError(f"{what}: token id {top} is outside the model's vocabulary of {vocab_size}: these shards "
                         "were made with another tokenizer (prepare them with --tokenizer <the model's "
                         "tokenizer.json>)")


class Batches:
    """Random (B, T+1) windows from a token array, reproducible from a seed and a step.
    Data-parallel ranks (distributed.py): each step draws world x B windows and rank r takes rows
    r*B..(r+1)*B-1, so the ranks see different rows and together exactly the rows one process with
    batch world x B would see."""

    def __init__(self, tokens: np.ndarray, batch: int, seq_len: int, seed: int, rank: int = 0, world: int = 1):
        if len(tokens) <= seq_len + 1:
            raise ValueError(f"{len(tokens)} tokens are too few for windows of {seq_len}")
        self.tokens = torch.from_numpy(tokens.astype(np.int64))
        self.batch, self.seq_len, self.seed = batch, seq_len, seed
        self.rank, self.world = rank, world

    def get(self, step: int, device) -> torch.Tensor:
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + step)
        starts = torch.randint(0, len(self.tokens) - self.seq_len - 1, (self.batch * self.world,), generator=gen)
        starts = starts[self.rank * self.batch:(self.rank + 1) * self.batch]
        rows = torch.stack([self.tokens[s:s + self.seq_len + 1] for s in starts.tolist()])
        return rows.to(device, non_blocking=True)
