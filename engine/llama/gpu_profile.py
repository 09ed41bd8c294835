"""Where a decoded token's GPU time goes (engine/llama/gpu-check.sh, issue 11): Nsight Compute's duration of every
kernel that llama-bench launched while decoding, grouped by what the kernel does, per token, for each model and
depth, beside the measured time per token (llama-bench without the profiler). What no kernel fills
(launch gaps and host work) is read from the graphs-off run instead (gpu_report.py). Standard library only.

    python3 engine/llama/gpu_profile.py LOG_DIR     (reads ncu-NAME-dDEPTH.csv and bench-NAME.json)

Each ncu-NAME-dDEPTH.csv comes from
    ncu --metrics gpu__time_duration.sum --csv --print-units base --log-file F \
        llama-bench -m NAME.gguf -ngl 99 -fa 1 -p 0 -n TOKENS -d DEPTH -r 1 --no-warmup
with CUDA graphs off (the profiler times each kernel alone either way). With a depth, llama-bench first fills the
cache in one prompt: its kernels are the ones up to the last matrix-matrix product (cuBLAS/CUTLASS gemm or
ggml's tiled kernels); the decode kernels are the ones after it (less the prompt graph's last few small
kernels, under 0.2% of them).
"""
from __future__ import annotations

import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

TOKENS = 16     # decode tokens per profiled run (gpu-check.sh: PROFILE_TOKENS)

# (group, substrings of the demangled kernel name), first match wins
GROUPS = [
    ("weight matmuls (gemv)", ("mul_mat_vec", "mmvf", "mmvq", "gemv")),
    ("prompt matmuls (gemm)", ("gemm", "nvjet", "cutlass", "xmma", "mul_mat_q", "mul_mat_f", "mmf")),
    ("attention (flash)", ("flash_attn",)),
    ("Mamba-2 scan", ("ssm_scan",)),
    ("Mamba-2 conv", ("ssm_conv",)),
    ("rope", ("rope",)),
    ("norms", ("norm",)),
    ("copies to caches", ("cpy", "copy", "set_rows")),
    ("get_rows", ("get_rows",)),
    ("add / mul / scale", ("bin_bcast", "k_bin", "scale", "add_", "add<")),
    ("state concat", ("concat",)),
    ("activations", ("unary", "silu", "glu", "gelu", "softplus", "exp")),
    ("softmax", ("soft_max",)),
]
PROMPT_GROUP = "prompt matmuls (gemm)"


def group_of(kernel: str) -> str:
    k = kernel.lower()
    for name, keys in GROUPS:
        if any(s in k for s in keys):
            return name
    return "other"


def read_kernels(path: Path):
    """[(kernel name, ns)] in launch order, from ncu's CSV (one row per kernel and metric)"""
    lines = path.read_text(errors="replace").splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith('"ID"')), None)
    if start is None:
        return []
    rows = []
    for r in csv.DictReader(lines[start:]):
        if r.get("Metric Name") == "gpu__time_duration.sum":
            value = float(r["Metric Value"].replace(",", ""))
            unit = r.get("Metric Unit", "ns")
            rows.append((r["Kernel Name"], value * {"ns": 1, "nsecond": 1, "usecond": 1e3, "us": 1e3, "msecond": 1e6}.get(unit, 1)))
    return rows


def decode_part(kernels):
    """the kernels after the prompt's last matrix-matrix product (all of them when there was no prompt)"""
    last = max((i for i, (k, _) in enumerate(kernels) if group_of(k) == PROMPT_GROUP), default=-1)
    return kernels[last + 1:]


def measured_us_per_token(log_dir: Path, name: str, depth: int):
    path = log_dir / f"bench-{name}.json"
    if not path.exists() or not path.read_text().strip():
        return None
    for r in json.loads(path.read_text()):
        if r["n_prompt"] == 0 and r["n_depth"] == depth:
            return 1e6 / r["avg_ts"]
    return None


def main(log_dir: str) -> int:
    d = Path(log_dir)
    runs = {}
    for p in sorted(d.glob("ncu-*-d*.csv")):
        m = re.match(r"ncu-(.+)-d(\d+)$", p.stem)
        kernels = decode_part(read_kernels(p))
        if m and kernels:
            runs[(m.group(1), int(m.group(2)))] = kernels
    if not runs:
        print("== decode time per token by kernel group: no profile (ncu absent or the step was skipped)")
        return 0
    print(f"== decode time per token by kernel group (Nsight Compute, {TOKENS} tokens, each kernel timed alone; "
          "us per token, kernel launches per token in brackets)")
    groups = [g for g, _ in GROUPS if g != PROMPT_GROUP] + ["other"]
    keys = sorted(runs, key=lambda k: (k[1], k[0]))
    print(f"  {'group':<24}" + "".join(f"{f'{n} @ d{dep}':>26}" for n, dep in keys))
    table = {}
    for key in keys:
        per = defaultdict(lambda: [0.0, 0])
        for k, ns in runs[key]:
            g = group_of(k)
            per[g][0] += ns / 1e3 / TOKENS
            per[g][1] += 1 / TOKENS
        table[key] = per
    for g in groups:
        if any(table[k][g][1] for k in keys):
            print(f"  {g:<24}" + "".join(f"{f'{table[k][g][0]:.1f} [{table[k][g][1]:.0f}]':>26}" for k in keys))
    print(f"  {'all kernels':<24}" + "".join(
        f"{f'{sum(v[0] for v in table[k].values()):.1f} [{sum(v[1] for v in table[k].values()):.0f}]':>26}" for k in keys))
    line = f"  {'measured (llama-bench)':<24}"
    for k in keys:
        us = measured_us_per_token(d, *k)
        line += f"{(f'{us:.1f}' if us else '-'):>26}"
    print(line)
    print("  (ncu runs each kernel alone with its caches flushed, so the kernels' sum exceeds the time a token takes in"
          " the stream: read the groups as shares; the launch cost is what decoding with CUDA graphs off adds)")
    others = defaultdict(float)
    for key in keys:
        for k, ns in runs[key]:
            if group_of(k) == "other":
                others[re.sub(r"\(.*", "", k)[:60]] += ns / TOKENS / 1e3
    if others:
        print("  other kernels (us per token, all runs): " + ", ".join(
            f"{k} {v:.1f}" for k, v in sorted(others.items(), key=lambda kv: -kv[1])[:6]))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    raise SystemExit(main(sys.argv[1]))
