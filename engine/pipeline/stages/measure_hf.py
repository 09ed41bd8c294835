"""What converting a real Hugging Face checkpoint costs on this GPU, measured on random weights of
the real shape: writes a Llama/Qwen2 directory of that shape (config.json + safetensors), then runs
the analyze and convert stages on it exactly as a user would, and reports wall time, tokens/s and
peak GPU memory per stage as JSON. Random weights make the figures about cost, not quality.

    python -m engine.pipeline.stages.measure_hf --shape qwen2.5-0.5b --data SHARDS --work DIR \
        [--keep 1] [--minutes 2] [--seq-len 4096] [--batch 4] [--out measure.json]
"""
from __future__ import annotations

import argparse
import json
import os
import time

import torch

from ..recurformer.dense import DenseConfig, DenseModel, init_weights
from . import analyze, convert, hf

# published config.json values of well-known checkpoints (the ones this pipeline converts)
SHAPES = {
    "qwen2.5-0.5b": DenseConfig(vocab_size=151936, n_layer=24, n_embd=896, n_head=14, n_kv_head=2, head_dim=64,
                                ffn_hidden=4864, rms_eps=1e-6, rope_base=1e6, rope_type="neox", qkv_bias=True,
                                tie_embeddings=True, context_length=32768, name="qwen2.5-0.5b-shape"),
    "qwen2.5-1.5b": DenseConfig(vocab_size=151936, n_layer=28, n_embd=1536, n_head=12, n_kv_head=2, head_dim=128,
                                ffn_hidden=8960, rms_eps=1e-6, rope_base=1e6, rope_type="neox", qkv_bias=True,
                                tie_embeddings=True, context_length=32768, name="qwen2.5-1.5b-shape"),
    "llama-3.2-1b": DenseConfig(vocab_size=128256, n_layer=16, n_embd=2048, n_head=32, n_kv_head=8, head_dim=64,
                                ffn_hidden=8192, rms_eps=1e-5, rope_base=5e5, rope_type="neox",
                                tie_embeddings=True, context_length=131072, name="llama-3.2-1b-shape"),
}


def timed(fn, device):
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats(device)
    t0 = time.time()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return {"seconds": round(time.time() - t0, 1),
            "peak_gpu_gib": round(torch.cuda.max_memory_allocated(device) / 2**30, 2) if device.type == "cuda" else None}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", choices=sorted(SHAPES), default="qwen2.5-0.5b")
    ap.add_argument("--data", required=True, help="token shards (heldout_* for analysis, the rest for training)")
    ap.add_argument("--work", required=True)
    ap.add_argument("--keep", type=int, default=1)
    ap.add_argument("--minutes", type=float, default=2.0, help="conversion time box (both stages)")
    ap.add_argument("--seq-len", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--out", default=None, help="JSON report (default: WORK/measure.json)")
    args = ap.parse_args(argv)

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    cfg = SHAPES[args.shape]
    hf_dir, analysis, student = (os.path.join(args.work, n) for n in ("hf", "analysis", "rf"))
    model = DenseModel(cfg)
    init_weights(model, seed=1, embed_std=0.02)
    t0 = time.time()
    hf.save_hf(model, hf_dir)
    report = {"shape": args.shape, "parameters": hf.parameter_count(cfg), "device": torch.cuda.get_device_name(device)
              if device.type == "cuda" else "cpu", "torch": torch.__version__, "keep": f"{args.keep}/{cfg.n_kv_head}",
              "seq_len": args.seq_len, "batch": args.batch, "write_hf_seconds": round(time.time() - t0, 1)}
    del model
    report["analyze"] = timed(lambda: analyze.main(["--model", hf_dir, "--data", args.data, "--out", analysis,
                                                    "--sequences", "8", "--seq-len", "2048"]), device)
    report["convert"] = timed(lambda: convert.main([
        "--dense", hf_dir, "--recency", os.path.join(analysis, "recency.json"), "--keep", str(args.keep),
        "--data", args.data, "--out", student, "--seq-len", str(args.seq_len), "--batch", str(args.batch),
        "--minutes", str(args.minutes)]), device)
    with open(os.path.join(student, "config.json")) as f:
        summaries = json.load(f).get("summaries", {})
    tokens = sum(s["tokens_seen"] for s in summaries.values())
    report["convert"]["tokens"] = tokens
    report["convert"]["tokens_per_second"] = round(tokens / max(1e-9, report["convert"]["seconds"]))
    out = args.out or os.path.join(args.work, "measure.json")
    with open(out, "w") as f:
        json.dump(report, f, indent=1)
    print(json.dumps(report, indent=1), flush=True)


if __name__ == "__main__":
    main()
