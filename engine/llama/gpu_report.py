"""Summary of one GPU check (engine/llama/gpu-check.sh): perplexity CPU vs GPU, graph splits per model, and
llama-bench RecurFormer / dense and falcon-h1 / dense ratios against issue 11's targets, with each model's
decode bytes per token and the share of the GPU's HBM bandwidth they reach, and decode with CUDA graphs off.
Standard library only.

    python3 engine/llama/gpu_report.py LOG_DIR  > summary.txt
LOG_DIR holds the check's gpu.txt (nvidia-smi's name), ppl-NAME-{cpu,gpu}.log, bench-NAME.{json,log},
nographs-NAME.json and shape-NAME.json files.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

# datasheet HBM bandwidth by nvidia-smi name (a device-to-device copy reached about 4.3e12 on the H200 and
# 3.0e12 on the H100 here)
HBM_BYTES_PER_S = {"H200": 4.8e12, "H100 80GB HBM3": 3.35e12, "H100 NVL": 3.9e12, "H100 PCIe": 2.0e12}
TARGETS = {("tg", 0): 1.0, ("tg", 16384): 1.3, ("tg", 65536): 1.5, ("pp", 16384): 1.0, ("pp", 65536): 1.6}
PPL_TOLERANCE = 0.01


def ppl_and_splits(log: Path):
    """the final perplexity and the last 'graph ...: nodes = N, splits = S' line of a llama.cpp log"""
    text = log.read_text(errors="replace") if log.exists() else ""
    ppl = re.search(r"Final estimate: PPL = ([0-9.]+)", text)
    splits = re.findall(r"graph.*?: nodes = ([0-9/ ]+), splits = ([0-9/ ]+),", text)
    return (float(ppl.group(1)) if ppl else None), (splits[-1][1].strip() if splits else None)


def bench_rows(path: Path):
    """{(kind, depth): tokens/s} from llama-bench -o json, kind 'pp' (prompt) or 'tg' (generation)"""
    if not path.exists() or not path.read_text().strip():
        return {}
    rows = {}
    for r in json.loads(path.read_text()):
        kind = "pp" if r["n_prompt"] > 0 else "tg"
        rows[(kind, r["n_depth"])] = (r["avg_ts"], r["stddev_ts"], r["model_size"])
    return rows


def decode_bytes(shape: dict, model_size: int, depth: int) -> float:
    """bytes a decoded token reads: every weight once, the KV cache at this depth, the recurrent state read+written"""
    return model_size + shape["kv_bytes_per_token"] * depth + 2 * shape["state_bytes"]


def hbm_bytes_per_s(log_dir: Path):
    name = (log_dir / "gpu.txt").read_text() if (log_dir / "gpu.txt").exists() else ""
    return next((v for k, v in HBM_BYTES_PER_S.items() if k in name), None), name.strip()


def main(log_dir: str) -> int:
    d = Path(log_dir)
    hbm, gpu_name = hbm_bytes_per_s(d)
    names = sorted(p.stem[len("shape-"):] for p in d.glob("shape-*.json"))
    out = []
    out.append("== perplexity (CPU only vs all layers on the GPU) and the scheduler's graph splits")
    ppl_models = sorted({p.stem.rsplit("-", 1)[0][len("ppl-"):] for p in d.glob("ppl-*-*.log")})
    for m in ppl_models:
        cpu, _ = ppl_and_splits(d / f"ppl-{m}-cpu.log")
        gpu, splits = ppl_and_splits(d / f"ppl-{m}-gpu.log")
        splits = splits or ppl_and_splits(d / f"bench-{m}.log")[1]
        if cpu and gpu:
            rel = abs(gpu - cpu) / cpu
            verdict = f"differ by {100 * rel:.3f}% ({'within' if rel <= PPL_TOLERANCE else 'NOT within'} 1%)"
        else:
            verdict = "not both measured"
        out.append(f"  {m:<18} PPL CPU {cpu or '-'}  GPU {gpu or '-'}  {verdict};  graph splits on the GPU: {splits or '-'}")

    for n in names:
        _, splits = ppl_and_splits(d / f"bench-{n}.log")
        out.append(f"  {n:<18} (llama-bench -ngl 99 -fa 1) graph splits: {splits or '-'}")

    bench = {n: bench_rows(d / f"bench-{n}.json") for n in names}
    shapes = {n: json.loads((d / f"shape-{n}.json").read_text()) for n in names}
    dense = next((n for n in names if n.startswith("dense")), None)
    if dense and bench.get(dense):
        out.append("")
        out.append("== llama-bench, -ngl 99 -fa 1, tokens/s (pp512 = prefill of 512 tokens, tg128 = decode), each model alone")
        keys = sorted(bench[dense], key=lambda k: (k[0] != "pp", k[1]))
        out.append(f"  {'test':<16}" + "".join(f"{n:>22}" for n in names) +
                   "".join(f"{n + '/' + dense:>34}" for n in names if n != dense) + "   target")
        for k in keys:
            line = f"  {k[0] + ('512' if k[0] == 'pp' else '128') + ' @ d' + str(k[1]):<16}"
            for n in names:
                v = bench[n].get(k)
                line += f"{(f'{v[0]:.1f} ± {v[1]:.1f}' if v else '-'):>22}"
            for n in names:
                if n == dense:
                    continue
                v, base = bench[n].get(k), bench[dense].get(k)
                ratio = v[0] / base[0] if v and base else None
                target = TARGETS.get(k)
                mark = "" if ratio is None or target is None else (" met" if ratio >= target else " NOT met")
                line += f"{(f'{ratio:.2f}x' + mark) if ratio else '-':>34}"
            target = TARGETS.get(k)
            out.append(line + (f"   >= {target}x" if target else ""))

        out.append("")
        out.append("== decode at depth 0 with CUDA graphs off (GGML_CUDA_DISABLE_GRAPHS=1): what graphs save")
        for n in names:
            off, on = bench_rows(d / f"nographs-{n}.json").get(("tg", 0)), bench[n].get(("tg", 0))
            if off and on:
                out.append(f"  {n:<18} {on[0]:.1f} t/s with graphs, {off[0]:.1f} without: "
                           f"{1e6 / off[0] - 1e6 / on[0]:.0f} us per token saved ({100 * (1 - off[0] / on[0]):.0f}%)")

        out.append("")
        if not hbm:
            out.append(f"== decode: no HBM bandwidth known for '{gpu_name}', share of the bound not computed")
            print("\n".join(out))
            return 0
        out.append(f"== decode: bytes read per token and share of the HBM bound ({gpu_name}: {hbm / 1e12:.2f} TB/s)")
        for k in [k for k in keys if k[0] == "tg"]:
            parts = []
            bound = {}
            for n in names:
                v = bench[n].get(k)
                if not v:
                    continue
                b = decode_bytes(shapes[n], v[2], k[1])
                bound[n] = hbm / b
                parts.append(f"{n} {b / 1e9:.2f} GB/token, {v[0] * b / 1e9:.0f} GB/s = {100 * v[0] * b / hbm:.0f}%")
            bounds = ", ".join(f"{n}/{dense} {bound[n] / bound[dense]:.2f}x" for n in bound if n != dense and dense in bound)
            out.append(f"  tg128 @ d{k[1]}: " + "; ".join(parts) + (f"; bandwidth-bound ratio {bounds}" if bounds else ""))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    raise SystemExit(main(sys.argv[1]))
