"""Test fixtures for the engine parity test (test/engine/parity.test.ts): tiny random models as GGUF,
plus the logits the PyTorch reference gives for fixed token scripts.

    /usr/bin/python3 -m engine.pipeline.recurformer.fixtures --out test/fixtures/models [--only NAME ...]
    npm run fixtures                                              (the same, via test/fixtures/make-fixtures.mjs)

For every model NAME it writes
    NAME.gguf         the model (F32; the bench pair F16)
    NAME.json         the token script (scenarios of ops, replayed exactly by the node test) + metadata
    NAME.logits.bin   expected logits, float32 little-endian, rows of vocab_size, at the offsets in NAME.json
and index.json listing the models in order.

Reference: the model read back from its GGUF (so F16 rounding is included), in float64, with RoPE angles
computed as ggml does; Mamba-2 prefill uses the chunked SSD scan and single tokens the recurrence.

Scenarios (each starts from empty sequences; token ids are drawn from [3, vocab), i.e. no control tokens):
  prompt-1, prompt-17, prompt-300  one sequence, logits at ALL positions
  decode-20        17-token prompt (logits at the last position), then 20 single-token steps carrying the
                   state (fixed tokens, not greedy, so a near-tie cannot make the engine diverge), logits each step
  two-sequences    sequences 0 and 1 (40 and 25 tokens) evaluated together, all positions; then 5 rounds of one
                   token in each, together
  save-restore     30 tokens; save the state of sequence 0; 10 more tokens; restore; 10 different tokens
                   (must equal prefix + those); restore into sequence 1 and repeat the first 10 tokens
                   (must equal the first continuation)

Models (DENSE and RECURFORMER below): dense llama MHA (stored in HF RoPE layout, so the export permutes Q/K),
dense llama GQA (n_head*hd != width), dense qwen2 (Q/K/V biases, tied output); RecurFormers made from them by
surgery with 1, 4 and 7 of 8 KV groups replaced (groups picked by recency score), one with a layer that keeps
everything (no branch), one Qwen2-style, with d_state equal to, above and below the head dim; their Mamba
weights randomized after the warm start so that each one matters. Plus the bench pair: 8 layers, width 512,
8 heads of 64, F16, and its RecurFormer keeping 1 of 8 groups (Mamba-2 with 7 heads of 64, 7 groups, d_state 64).

Bound (the parity test's): 1e-4 for F32 files, 5e-3 for F16 files (see TOLERANCE).
Fixed seeds; the whole set takes about 20 s on 2 CPU cores (the float64 bench pair is most of it).
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import torch

from .dense import DenseConfig, DenseModel, init_weights
from .gguf_export import export_dense, export_recurformer
from .gguf_load import load_gguf
from .recency import recency_scores, select_replaced_groups
from .surgery import inverse_softplus, recurformer_from_dense

FORMAT_VERSION = 1
CONTEXT_SIZE = 512          # per sequence, for the engine's context
# max over rows of max|a-b| / max|b|
TOLERANCE = {"f32": 1e-4,
             # llama.cpp's CPU matmul rounds its input (activations) to F16 before multiplying an F16 weight;
             # which values round the other way depends on ~1e-7 differences, and a deep random model amplifies
             # each such flip: measured ~1e-3 on the 8-layer bench pair, emulating the rounding does not lower it
             "f16": 5e-3}

CHAT_TEMPLATE = ("{% for m in messages %}<s>{{ m['role'] }}\n{{ m['content'] }}</s>\n{% endfor %}"
                 "{% if add_generation_prompt %}<s>assistant\n{% endif %}")

TINY_MHA = DenseConfig(vocab_size=320, n_layer=3, n_embd=128, n_head=8, n_kv_head=8, head_dim=16, ffn_hidden=256,
                       rope_type="neox", name="dense-llama-mha")      # HF layout: the llama export permutes Q/K
TINY_GQA = DenseConfig(vocab_size=320, n_layer=3, n_embd=96, n_head=16, n_kv_head=8, head_dim=8, ffn_hidden=192,
                       rope_type="norm", name="dense-llama-gqa")      # n_head*hd (128) != E (96): key_length matters
TINY_QWEN2 = DenseConfig(vocab_size=320, n_layer=3, n_embd=128, n_head=8, n_kv_head=4, head_dim=16, ffn_hidden=256,
                         rope_type="neox", qkv_bias=True, tie_embeddings=True, name="dense-qwen2")
BENCH = DenseConfig(vocab_size=1024, n_layer=8, n_embd=512, n_head=8, n_kv_head=8, head_dim=64, ffn_hidden=1408,
                    rope_type="norm", name="bench-dense")


@dataclass
class DenseSpec:
    name: str
    config: DenseConfig
    seed: int
    ftype: str = "f32"
    chat_template: Optional[str] = None


@dataclass
class RecurFormerSpec:
    name: str
    source: str                      # a DenseSpec name
    keep: int = 1                    # KV groups kept per layer (the rest, by recency score, replaced)
    keep_per_layer: Optional[List[int]] = None     # overrides keep; n_kv_head = nothing replaced in that layer
    d_state: int = 16
    window: int = 16
    seed: int = 0
    perturb: bool = True             # randomize the Mamba weights so that every one of them matters
    ftype: str = "f32"
    chat_template: Optional[str] = None


DENSE = [
    DenseSpec("dense-llama-mha", TINY_MHA, seed=11),
    DenseSpec("dense-llama-gqa", TINY_GQA, seed=12),
    DenseSpec("dense-qwen2", TINY_QWEN2, seed=13),
    DenseSpec("bench-dense", BENCH, seed=14, ftype="f16", chat_template=CHAT_TEMPLATE),
]
RECURFORMER = [
    RecurFormerSpec("rf-mha-r1", "dense-llama-mha", keep=7, seed=21),
    RecurFormerSpec("rf-mha-r4", "dense-llama-mha", keep=4, seed=22),
    RecurFormerSpec("rf-mha-r7", "dense-llama-mha", keep=1, d_state=64, seed=23),   # N=64: ggml's SIMD scan path
    RecurFormerSpec("rf-gqa-r1", "dense-llama-gqa", keep=7, seed=24),
    RecurFormerSpec("rf-gqa-r4", "dense-llama-gqa", keep=4, seed=25),
    RecurFormerSpec("rf-gqa-r7", "dense-llama-gqa", keep=1, seed=26),
    RecurFormerSpec("rf-gqa-skip", "dense-llama-gqa", keep_per_layer=[4, 8, 4], seed=27),   # layer 1: no branch
    RecurFormerSpec("rf-qwen2-r2", "dense-qwen2", keep=2, d_state=8, seed=28),              # d_state < head dim
    RecurFormerSpec("bench-recurformer", "bench-dense", keep=1, d_state=64, window=64, seed=29, perturb=False,
                    ftype="f16", chat_template=CHAT_TEMPLATE),
]


# ----------------------------------------------------------------------------- scripts

def make_scenarios(vocab_size: int, seed: int) -> List[dict]:
    gen = torch.Generator().manual_seed(seed)

    def toks(n):
        return torch.randint(3, vocab_size, (n,), generator=gen).tolist()

    def ev(seq, tokens, logits="all"):
        return {"op": "eval", "seq": seq, "tokens": tokens, "logits": logits}

    prefix, cont_a, cont_b = toks(30), toks(10), toks(10)
    return [
        {"name": "prompt-1", "ops": [ev(0, toks(1))]},
        {"name": "prompt-17", "ops": [ev(0, toks(17))]},
        {"name": "prompt-300", "ops": [ev(0, toks(300))]},
        {"name": "decode-20", "ops": [ev(0, toks(17), "last")] + [ev(0, toks(1)) for _ in range(20)]},
        {"name": "two-sequences", "ops": [{"op": "parallel", "evals": [ev(0, toks(40)), ev(1, toks(25))]}] +
            [{"op": "parallel", "evals": [ev(0, toks(1)), ev(1, toks(1))]} for _ in range(5)]},
        {"name": "save-restore", "ops": [
            ev(0, prefix, "last"), {"op": "save", "seq": 0, "slot": "prefix"},
            ev(0, cont_a), {"op": "restore", "seq": 0, "slot": "prefix"},
            ev(0, cont_b), {"op": "restore", "seq": 1, "slot": "prefix"},
            ev(1, cont_a)]},
    ]


@torch.no_grad()
def replay(model, scenarios: List[dict]) -> List[np.ndarray]:
    """Runs the scripts through the reference; fills each eval op's `expected` {offset, rows} (offsets in
    float32 elements of the logits file) and returns the blocks of logits in order."""
    blocks, offset = [], 0
    for sc in scenarios:
        states: Dict[int, object] = {}
        slots: Dict[str, object] = {}
        for op in sc["ops"]:
            if op["op"] == "save":
                slots[op["slot"]] = states[op["seq"]].clone()
                continue
            if op["op"] == "restore":
                states[op["seq"]] = slots[op["slot"]].clone()
                continue
            for e in (op["evals"] if op["op"] == "parallel" else [op]):
                logits, states[e["seq"]] = model(torch.tensor([e["tokens"]]), states.get(e["seq"]))
                rows = logits[0] if e["logits"] == "all" else logits[0, -1:]
                block = rows.to(torch.float32).numpy()
                e["expected"] = {"offset": offset, "rows": int(block.shape[0])}
                blocks.append(block)
                offset += block.size
    return blocks


# ----------------------------------------------------------------------------- models

def build_dense(spec: DenseSpec) -> DenseModel:
    model = DenseModel(spec.config)
    init_weights(model, spec.seed, embed_std=1.0, norm_jitter=0.1, bias_std=0.2 if spec.config.qkv_bias else 0.0)
    return model


def perturb_mamba(model, seed: int) -> None:
    """Random Mamba weights (what training would leave) instead of the warm start's identity conv, equal dt,
    A = -1, D = 1, norm = 1: an engine that drops or misorders any of them then fails the parity test."""
    gen = torch.Generator().manual_seed(seed)

    def randn(*shape):
        return torch.randn(*shape, generator=gen)

    with torch.no_grad():
        for layer in model.layers:
            m = layer.mamba
            if m is None:
                continue
            c = m.config
            m.in_proj.weight.add_(randn(*m.in_proj.weight.shape) * 0.5 / math.sqrt(c.d_model))
            m.conv_weight.copy_(randn(*m.conv_weight.shape) * 0.6)
            m.conv_bias.copy_(randn(c.conv_dim) * 0.2)
            m.dt_bias.copy_(torch.tensor([inverse_softplus(x) for x in
                                          (0.02 + 0.5 * torch.rand(c.n_heads, generator=gen)).tolist()]))
            m.A_log.copy_(torch.log(0.2 + 2.0 * torch.rand(c.n_heads, generator=gen)))
            m.D.copy_(randn(c.n_heads))
            m.norm_weight.copy_(1.0 + 0.2 * randn(c.d_inner))


def build_recurformer(spec: RecurFormerSpec, dense: DenseModel):
    cfg = dense.config
    gen = torch.Generator().manual_seed(spec.seed)
    calibration = torch.randint(3, cfg.vocab_size, (1, 3 * spec.window), generator=gen)
    rec, sink = recency_scores(dense, calibration, window=spec.window)
    keep = spec.keep_per_layer or [spec.keep] * cfg.n_layer
    replaced = [select_replaced_groups([row], keep=k)[0] for row, k in zip(rec, keep)]
    model = recurformer_from_dense(dense, replaced, d_state=spec.d_state, window=spec.window, recency_scores=rec,
                                   sink_scores=sink, seed=spec.seed, name=spec.name)
    if spec.perturb:
        perturb_mamba(model, spec.seed + 1000)
    return model


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max over rows of max|a-b| / max|b| (the parity test's measure)"""
    return float((np.abs(a - b).max(-1) / np.abs(b).max(-1)).max())


def write_fixture(out: Path, name: str, model, ftype: str, chat_template: Optional[str],
                  seed: int, extra: dict) -> dict:
    gguf_path = out / f"{name}.gguf"
    if hasattr(model.config, "replaced_groups"):
        types = export_recurformer(model, gguf_path, ftype=ftype, chat_template=chat_template,
                                   description=f"test fixture (random weights, seed {seed})")
        arch, rope = "recurformer", model.config.source.rope_type
    else:
        types = export_dense(model, gguf_path, ftype=ftype, chat_template=chat_template,
                             description=f"test fixture (random weights, seed {seed})")
        arch, rope = ("qwen2" if model.config.qkv_bias else "llama"), model.config.rope_type

    reference = load_gguf(gguf_path, rope_type=rope, dtype=torch.float64).eval()
    vocab = reference.config.source.vocab_size if arch == "recurformer" else reference.config.vocab_size
    scenarios = make_scenarios(vocab, seed + 7)
    blocks = replay(reference, scenarios)
    (out / f"{name}.logits.bin").write_bytes(np.concatenate([b.reshape(-1) for b in blocks]).astype("<f4").tobytes())

    # self-check: at F32 the file is the in-memory model (export/import are inverses, RoPE layout included)
    if ftype == "f32":
        probe = {"name": "self-check", "ops": [{"op": "eval", "seq": 0, "tokens": scenarios[1]["ops"][0]["tokens"],
                                                "logits": "all"}]}
        got = replay(copy.deepcopy(model).double().eval(), [probe])[0]
        err = relative_error(got, blocks[1])
        if err > 1e-5:
            raise AssertionError(f"{name}: the in-memory model and its GGUF disagree (relative error {err:.2e})")

    meta = {
        "format": FORMAT_VERSION,
        "name": name,
        "gguf": gguf_path.name,
        "logits": f"{name}.logits.bin",
        "architecture": arch,
        "ftype": ftype,
        "tensorTypes": sorted(set(types.values())),
        "vocabSize": vocab,
        "contextSize": CONTEXT_SIZE,
        "tolerance": TOLERANCE[ftype],
        "errorMeasure": "per logits row: max|engine - reference| / max|reference|; the fixture's error is the max over rows",
        "reference": "PyTorch float64 on the weights read back from the GGUF (engine/pipeline/recurformer/fixtures.py)",
        "seed": seed,
        **extra,
        "scenarios": scenarios,
    }
    (out / f"{name}.json").write_text(json.dumps(meta, indent=1))
    return meta


def build_fixture(name: str, out: Path) -> dict:
    """Builds one fixture (its dense source is rebuilt from its seed: cheap, and each worker is independent)."""
    torch.set_num_threads(1)
    dense_specs = {d.name: d for d in DENSE}
    spec = dense_specs.get(name) or next(r for r in RECURFORMER if r.name == name)
    if isinstance(spec, DenseSpec):
        model = build_dense(spec)
        extra = {"kind": "dense", "config": asdict(spec.config)}
    else:
        model = build_recurformer(spec, build_dense(dense_specs[spec.source]))
        rc = model.config
        extra = {"kind": "recurformer", "source": spec.source, "replacedGroups": rc.replaced_groups,
                 "dState": rc.d_state, "window": rc.window, "perturbed": spec.perturb}
    meta = write_fixture(out, name, model, spec.ftype, spec.chat_template, spec.seed, extra)
    detail = f"replaced groups {extra['replacedGroups']}" if extra["kind"] == "recurformer" else meta["architecture"]
    print(f"[fixtures] {name}: {meta['ftype']}, {detail}", flush=True)
    return {k: meta[k] for k in ("name", "gguf", "architecture", "ftype", "kind")} | {"json": f"{name}.json"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output folder (test/fixtures/models)")
    ap.add_argument("--only", nargs="*", help="rebuild only these models (the index keeps the others)")
    ap.add_argument("--jobs", type=int, default=0, help="worker processes (default: one per CPU)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    order = [s.name for s in DENSE] + [s.name for s in RECURFORMER]
    unknown = set(args.only or []) - set(order)
    if unknown:
        ap.error(f"unknown fixtures {sorted(unknown)}; known: {order}")
    names = [n for n in order if not args.only or n in args.only]
    # the bench pair costs most (float64 on 8 x 512): start it first
    names.sort(key=lambda n: not n.startswith("bench"))

    started = time.time()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = args.jobs or min(cpus, len(names))
    if jobs > 1:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            entries = list(pool.map(build_fixture, names, [out] * len(names)))
    else:
        entries = [build_fixture(n, out) for n in names]

    index_file = out / "index.json"
    index = {e["name"]: e for e in (json.loads(index_file.read_text())["models"] if args.only and index_file.exists() else [])}
    index.update({e["name"]: e for e in entries})
    models = [index[n] for n in order if n in index]
    index_file.write_text(json.dumps({"format": FORMAT_VERSION, "models": models}, indent=1))
    print(f"[fixtures] {len(entries)} built, {len(models)} in {index_file} ({time.time() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
