"""Test fixtures for the engine parity test (test/engine/parity.test.ts): tiny random models as GGUF,
plus the logits the PyTorch reference gives for fixed token scripts.

    /usr/bin/python3 -m engine.pipeline.recurformer.fixtures --out test/fixtures/models [--only NAME ...]
    npm run fixtures                                              (the same, via test/fixtures/make-fixtures.mjs)

For every model NAME it writes
    NAME.gguf         the model (F32; the bench models F16)
    NAME.json         the token script (scenarios of ops, replayed exactly by the node test) + metadata
    NAME.logits.bin   expected logits, float32 little-endian, rows of vocab_size, at the offsets in NAME.json
and index.json listing the models in order. Each file is written under a temporary name in the same folder
(".NAME.gguf.<pid>.tmp") and renamed into place when complete, NAME.json last (a stale one is removed first),
so a killed run leaves no half-written file under a final name; leftover temporaries are removed on the next run.

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
weights randomized after the warm start so that each one matters. Plus the bench trio, F16: bench-dense (8 layers,
width 512, 8 heads of 64), bench-recurformer keeping 1 of 8 groups (Mamba-2 with 7 heads of 64, 7 groups,
d_state 64), and bench-falcon-h1, the same RecurFormer written as llama.cpp's own `falcon-h1` graph
(falcon_h1_export.py): one attention head + a 7-head Mamba-2 branch per layer. Its token scripts and expected
logits are bench-recurformer's (the same function; the falcon file's tensors are checked equal to the RecurFormer
file's, Q/K up to the RoPE layout), so the parity test also proves the twin computes our model, and

    npx recurformer bench --models test/fixtures/models/bench-dense.gguf,test/fixtures/models/bench-recurformer.gguf,test/fixtures/models/bench-falcon-h1.gguf

compares our graph with llama.cpp's own hybrid graph and the dense model on an equal shape in one run.

Bound (the parity test's): 1e-4 for F32 files, 5e-3 for F16 files (see TOLERANCE).
Fixed seeds; the whole set takes about 30 s on 2 CPU cores (the float64 bench models are most of it).
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
from .falcon_h1_export import FALCON_H1_ROPE, export_falcon_h1, falcon_h1_tensor_name
from .gguf_export import export_dense, export_recurformer, permute_rope_rows
from .gguf_load import load_gguf, read_gguf
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


@dataclass
class FalconH1Spec:
    """A RecurFormerSpec's model written as llama.cpp's `falcon-h1` (same replacement in every layer)."""
    name: str
    source: str                      # a RecurFormerSpec name; its seed, ftype and token scripts are used


FALCON_H1 = [
    FalconH1Spec("bench-falcon-h1", "bench-recurformer"),
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


def temp_path(final: Path) -> Path:
    """Where `final` is written before it is renamed into place (same folder: the rename is atomic)."""
    return final.with_name(f".{final.name}.{os.getpid()}.tmp")


def stale_temp(name: str) -> bool:
    """A temporary left by a run that is gone (a running one's, e.g. a parallel `npm run fixtures`, is kept)."""
    parts = name.rsplit(".", 2)
    if not (name.startswith(".") and len(parts) == 3 and parts[2] == "tmp" and parts[1].isdigit()):
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


def write_atomic(final: Path, data: bytes) -> None:
    tmp = temp_path(final)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def check_falcon_twin(falcon_path: Path, recurformer_path: Path) -> None:
    """Every tensor of the falcon-h1 file equals the RecurFormer file's (Q/K rows back in the RecurFormer's RoPE
    layout, ffn_norm renamed), so the RecurFormer file's reference logits are the falcon file's too."""
    fkv, ft, ftypes = read_gguf(falcon_path)
    rkv, rt, rtypes = read_gguf(recurformer_path)
    rope = str(rkv["recurformer.rope.type"])
    heads = {"attn_q": int(fkv["falcon-h1.attention.head_count"]), "attn_k": int(fkv["falcon-h1.attention.head_count_kv"])}
    names = {falcon_h1_tensor_name(n): n for n in rt}
    if set(names) != set(ft):
        raise AssertionError(f"falcon-h1 twin: tensors differ: {sorted(set(names) ^ set(ft))}")
    for fname, rname in names.items():
        a = ft[fname]
        kind = fname.split(".")[-2] if fname.count(".") >= 2 else ""
        if kind in heads:
            a = permute_rope_rows(a, heads[kind], FALCON_H1_ROPE, rope)
        if ftypes[fname] != rtypes[rname] or a.shape != rt[rname].shape or not np.array_equal(a, rt[rname]):
            raise AssertionError(f"falcon-h1 twin: {fname} differs from the RecurFormer's {rname}")


def write_fixture(out: Path, name: str, model, ftype: str, chat_template: Optional[str],
                  seed: int, extra: dict, falcon_h1: bool = False) -> dict:
    """Writes NAME.gguf, NAME.logits.bin and NAME.json, each under a temporary name first (see the module doc)."""
    final = {k: out / f"{name}{ext}" for k, ext in (("gguf", ".gguf"), ("logits", ".logits.bin"), ("json", ".json"))}
    tmp = {k: temp_path(p) for k, p in final.items()}
    twin_reference = temp_path(out / f"{name}.recurformer.gguf")
    description = f"test fixture (random weights, seed {seed})"
    try:
        if falcon_h1:
            types = export_falcon_h1(model, tmp["gguf"], ftype=ftype, chat_template=chat_template,
                                     description=description)
            # the reference: the same model as a recurformer file (same numbers, checked), read back
            export_recurformer(model, twin_reference, ftype=ftype, chat_template=chat_template, description=description)
            check_falcon_twin(tmp["gguf"], twin_reference)
            reference_file, arch, rope = twin_reference, "falcon-h1", model.config.source.rope_type
        elif hasattr(model.config, "replaced_groups"):
            types = export_recurformer(model, tmp["gguf"], ftype=ftype, chat_template=chat_template,
                                       description=description)
            reference_file, arch, rope = tmp["gguf"], "recurformer", model.config.source.rope_type
        else:
            types = export_dense(model, tmp["gguf"], ftype=ftype, chat_template=chat_template, description=description)
            reference_file = tmp["gguf"]
            arch, rope = ("qwen2" if model.config.qkv_bias else "llama"), model.config.rope_type

        reference = load_gguf(reference_file, rope_type=rope, dtype=torch.float64).eval()
        vocab = reference.config.vocab_size if isinstance(reference, DenseModel) else reference.config.source.vocab_size
        scenarios = make_scenarios(vocab, seed + 7)
        blocks = replay(reference, scenarios)
        tmp["logits"].write_bytes(np.concatenate([b.reshape(-1) for b in blocks]).astype("<f4").tobytes())

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
            "gguf": final["gguf"].name,
            "logits": final["logits"].name,
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
        tmp["json"].write_text(json.dumps(meta, indent=1))
        # into place: the stale description first, the description last, so a kill in between leaves no
        # NAME.json that describes other files
        final["json"].unlink(missing_ok=True)
        os.replace(tmp["logits"], final["logits"])
        os.replace(tmp["gguf"], final["gguf"])
        os.replace(tmp["json"], final["json"])
        return meta
    finally:
        for p in list(tmp.values()) + [twin_reference]:
            p.unlink(missing_ok=True)


def build_fixture(name: str, out: Path) -> dict:
    """Builds one fixture (its dense source is rebuilt from its seed: cheap, and each worker is independent)."""
    torch.set_num_threads(1)
    dense_specs = {d.name: d for d in DENSE}
    rf_specs = {r.name: r for r in RECURFORMER}
    falcon = next((f for f in FALCON_H1 if f.name == name), None)
    spec = dense_specs.get(name) or rf_specs.get(name) or rf_specs[falcon.source]
    if isinstance(spec, DenseSpec):
        model = build_dense(spec)
        extra = {"kind": "dense", "config": asdict(spec.config)}
    else:
        model = build_recurformer(spec, build_dense(dense_specs[spec.source]))
        rc = model.config
        extra = {"kind": "falcon-h1" if falcon else "recurformer", "source": spec.name if falcon else spec.source,
                 "replacedGroups": rc.replaced_groups, "dState": rc.d_state, "window": rc.window,
                 "perturbed": spec.perturb}
    # a falcon-h1 twin replays its source's token scripts (same seed), so their expected logits are the same
    meta = write_fixture(out, name, model, spec.ftype, spec.chat_template, spec.seed, extra, falcon_h1=falcon is not None)
    detail = f"replaced groups {extra['replacedGroups']}" if extra["kind"] != "dense" else meta["architecture"]
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
    order = [s.name for s in DENSE] + [s.name for s in RECURFORMER] + [s.name for s in FALCON_H1]
    unknown = set(args.only or []) - set(order)
    if unknown:
        ap.error(f"unknown fixtures {sorted(unknown)}; known: {order}")
    names = [n for n in order if not args.only or n in args.only]
    # the bench pair costs most (float64 on 8 x 512): start it first
    names.sort(key=lambda n: not n.startswith("bench"))
    for leftover in out.iterdir():          # temporaries of a run that was killed
        if stale_temp(leftover.name):
            leftover.unlink(missing_ok=True)

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
    write_atomic(index_file, json.dumps({"format": FORMAT_VERSION, "models": models}, indent=1).encode())
    print(f"[fixtures] {len(entries)} built, {len(models)} in {index_file} ({time.time() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
