"""Training tokens: uint16 shards (`NAME.bin`, optionally `.xz`-compressed, as written by the corpus
`prepare` command; `heldout*` shards are held out) concatenated into one array; batches are random
windows of it."""
from __future__ import annotations

import glob
import lzma
import os

import numpy as np
import torch


def load_tokens(directory: str, heldout: bool = False) -> np.ndarray:
    pattern = "heldout*.bin*" if heldout else "*.bin*"
    files = sorted(f for f in glob.glob(os.path.join(directory, pattern))
                   if heldout or not os.path.basename(f).startswith("heldout"))
    if not files:
        raise FileNotFoundError(f"no token shards matching {pattern} in {directory}")
    parts = []
    for f in files:
        opener = lzma.open if f.endswith(".xz") else open
        with opener(f, "rb") as fh:
            parts.append(np.frombuffer(fh.read(), dtype=np.uint16))
    return np.concatenate(parts)


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
