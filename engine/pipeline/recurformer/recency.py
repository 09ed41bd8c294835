"""Head analysis and selection.

Recency score: run the dense model on calibration sequences; for query head h at position i, the
recency mass is the attention probability on keys i-w+1..i (window w). A head's score is its mean
recency mass over positions i >= w (0-based, so the window never covers the whole prefix); the sink
mass (probability on the first `sink` keys) is averaged the same way. A KV group's score is the mean
of its query heads'.

Selection: per layer replace the k highest-scoring KV groups, the same k everywhere, keeping at least
one group: k = n_kv_head - keep.
"""
from __future__ import annotations

from typing import List, Tuple

import torch

from .dense import DenseModel


@torch.no_grad()
def recency_scores(model: DenseModel, sequences: torch.Tensor, window: int = 64,
                   sink: int = 4) -> Tuple[List[List[float]], List[List[float]]]:
    """sequences: (B, T) token ids with T > window. Returns (recency, sink) scores, each [L][n_kv_head]."""
    cfg = model.config
    T = sequences.shape[1]
    if T <= window:
        raise ValueError(f"calibration sequences need more than window={window} tokens, got {T}")
    captured = []

    def grab(module, inputs):   # Attention.forward(h, positions, cache)
        captured.append(inputs[:2])

    hooks = [layer.attn.register_forward_pre_hook(grab) for layer in model.layers]
    try:
        model(sequences)
    finally:
        for h in hooks:
            h.remove()

    rec, snk = [], []
    for layer, (h, positions) in zip(model.layers, captured):
        q, k, _ = layer.attn.qkv(h, positions)
        p = layer.attn.probs(q, k)                                         # (B, n_head, T, T)
        i = torch.arange(T, device=p.device)[:, None]
        j = torch.arange(T, device=p.device)[None, :]
        in_window = ((j <= i) & (j > i - window)).to(p.dtype)             # keys i-w+1 .. i
        in_sink = (j < sink).to(p.dtype)                                    # keys 0 .. sink-1
        per_head_rec = (p * in_window).sum(-1)[..., window:].double().mean(dim=(0, 2))   # (n_head,)
        per_head_snk = (p * in_sink).sum(-1)[..., window:].double().mean(dim=(0, 2))
        rec.append(per_head_rec.view(cfg.n_kv_head, cfg.group_size).mean(-1).tolist())
        snk.append(per_head_snk.view(cfg.n_kv_head, cfg.group_size).mean(-1).tolist())
    return rec, snk


def select_replaced_groups(scores: List[List[float]], keep: int = 1) -> List[List[int]]:
    """Per layer, the n_kv_head - keep highest-scoring groups (ascending indices); ties go to the lower index."""
    out = []
    for row in scores:
        if not 1 <= keep <= len(row):
            raise ValueError(f"keep must be between 1 and {len(row)}")
        order = sorted(range(len(row)), key=lambda g: (-row[g], g))
        out.append(sorted(order[:len(row) - keep]))
    return out
