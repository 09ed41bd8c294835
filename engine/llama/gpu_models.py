"""The GPU check's speed models (engine/llama/gpu-check.sh): dense, RecurFormer and its falcon-h1 twin at the
Llama-3.2-1B shape (engine/pipeline/stages/measure_hf.py: 16 layers, width 2048, 32 heads of 64, 8 KV heads,
FFN 8192, 128,256 ids, tied embeddings), F16, random weights: the figures they give are about speed, not quality.

The RecurFormer keeps KV group 0 in every layer and replaces the other 7 with a 28-head Mamba-2 branch (7 groups,
d_state from --d-state, default 64), made by the pipeline's own surgery and written by its own exporters.

    python3 -m engine.llama.gpu_models --out DIR --shapes LOG_DIR [--d-state 64] [--layers 16]
        -> DIR/dense-1b.gguf, DIR/recurformer-1b.gguf, DIR/falcon-h1-1b.gguf, and LOG_DIR/shape-NAME.json:
           each one's F16 KV bytes per token in context and F32 recurrent-state bytes (for gpu_report.py)
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch

from engine.pipeline.recurformer.dense import DenseModel
from engine.pipeline.recurformer.falcon_h1_export import export_falcon_h1
from engine.pipeline.recurformer.gguf_export import GgufVocab, export_dense, export_recurformer, tiny_byte_vocab
from engine.pipeline.stages.measure_hf import SHAPES
from engine.pipeline.recurformer.surgery import recurformer_from_dense


def filler_vocab(vocab_size: int) -> GgufVocab:
    """tiny_byte_vocab (byte fallback, so any text tokenizes) padded with never-matched pieces up to vocab_size."""
    base = tiny_byte_vocab(1024)
    extra = vocab_size - len(base.tokens)
    tokens = base.tokens + [f"<pad{i}>" for i in range(extra)]
    scores = base.scores + [-1e4 - i for i in range(extra)]
    return dataclasses.replace(base, tokens=tokens, scores=scores,
                               token_types=base.token_types + [base.token_types[-1]] * extra)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--shapes", required=True, type=Path)
    ap.add_argument("--d-state", type=int, default=64)
    ap.add_argument("--layers", type=int, default=16, help="fewer for a quick try of this script")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    cfg = dataclasses.replace(SHAPES["llama-3.2-1b"], n_layer=args.layers, rope_type="norm", name="dense-1b")
    torch.manual_seed(0)
    started = time.time()
    # nn.Linear's own init (uniform, 1/sqrt(fan_in)): values are irrelevant to speed, and this is the fast one
    dense = DenseModel(cfg).eval()
    with torch.no_grad():   # tied output: N(0, 1) embeddings would give logits of std ~45 and an infinite perplexity
        dense.tok_embd.weight.normal_(0.0, 0.02)
    vocab = filler_vocab(cfg.vocab_size)
    replaced = [list(range(1, cfg.n_kv_head))] * cfg.n_layer
    rf = recurformer_from_dense(dense, replaced, d_state=args.d_state, name="recurformer-1b").eval()

    hd, L = cfg.head_dim, cfg.n_layer
    branch = rf.config.mamba_config(0)
    state = L * 4 * ((rf.config.d_conv - 1) * (branch.d_inner + 2 * branch.n_groups * args.d_state)
                     + args.d_state * branch.d_inner)
    shapes = {"dense-1b": {"kv_bytes_per_token": 2 * L * cfg.n_kv_head * hd * 2, "state_bytes": 0},
              "recurformer-1b": {"kv_bytes_per_token": 2 * L * 1 * hd * 2, "state_bytes": state}}
    shapes["falcon-h1-1b"] = shapes["recurformer-1b"]
    args.shapes.mkdir(parents=True, exist_ok=True)
    for name, shape in shapes.items():
        (args.shapes / f"shape-{name}.json").write_text(json.dumps(shape))

    outputs = {"dense-1b.gguf": lambda p: export_dense(dense, p, ftype="f16", vocab=vocab),
               "recurformer-1b.gguf": lambda p: export_recurformer(rf, p, ftype="f16", vocab=vocab),
               "falcon-h1-1b.gguf": lambda p: export_falcon_h1(rf, p, ftype="f16", vocab=vocab)}
    for name, write in outputs.items():
        tmp = args.out / f".{name}.tmp"
        write(tmp)
        tmp.rename(args.out / name)     # complete files only under the final name (the check waits for them)
        print(f"[gpu_models] {name}: {(args.out / name).stat().st_size / 2**30:.2f} GiB, {time.time() - started:.0f} s",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
