"""Head analysis: recency and sink scores of every KV group of a dense checkpoint on held-out text,
written as JSON and a heatmap PNG (layers x KV groups) with the groups that a
given keep ratio would replace marked.

    python -m engine.pipeline.stages.analyze --model CKPT --data HELDOUT_DIR --out DIR \
        [--sequences 8 --seq-len 2048 --window 64 --keep 1]
"""
from __future__ import annotations

import argparse
import json
import os

import torch

from ..recurformer.recency import recency_scores, select_replaced_groups
from . import checkpoint
from .data import Batches, load_tokens
from .heatmap import write_heatmap


def analyze(model, tokens, sequences: int, seq_len: int, window: int, device) -> dict:
    """Averages the scores over `sequences` windows of `seq_len` tokens, one at a time (memory)."""
    batches = Batches(tokens, 1, seq_len - 1, seed=12345)
    rec_sum = snk_sum = None
    for s in range(sequences):
        rows = batches.get(s, device)
        rec, snk = recency_scores(model, rows, window=window)
        rec_t, snk_t = torch.tensor(rec), torch.tensor(snk)
        rec_sum = rec_t if rec_sum is None else rec_sum + rec_t
        snk_sum = snk_t if snk_sum is None else snk_sum + snk_t
    return {"window": window, "sequences": sequences, "seq_len": seq_len,
            "recency": (rec_sum / sequences).tolist(), "sink": (snk_sum / sequences).tolist()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True, help="directory of held-out uint16 token shards")
    ap.add_argument("--out", required=True)
    ap.add_argument("--sequences", type=int, default=8)
    ap.add_argument("--seq-len", type=int, default=2048)
    ap.add_argument("--window", type=int, default=64)
    ap.add_argument("--keep", type=int, default=1, help="KV groups kept per layer, for the marks")
    args = ap.parse_args(argv)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model, _ = checkpoint.load(args.model, device, stage="analyze")
    model.eval()
    result = analyze(model, load_tokens(args.data, heldout=True), args.sequences, args.seq_len, args.window, device)
    result["replaced_at_keep"] = {str(k): select_replaced_groups(result["recency"], keep=k)
                                  for k in (1, 2, 4) if k < model.config.n_kv_head}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "recency.json"), "w") as f:
        json.dump(result, f, indent=1)
    write_heatmap(result["recency"], result["replaced_at_keep"].get(str(args.keep), []),
                  os.path.join(args.out, "recency.png"),
                  title=f"recency mass (w={args.window}); x = replaced at keep {args.keep}/{model.config.n_kv_head}")
    print(json.dumps({"recency": result["recency"]}), flush=True)


if __name__ == "__main__":
    main()
