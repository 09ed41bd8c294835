"""RESULTS.json (from evaluate.mjs) -> RESULTS.md (one table, the issue's targets with verdicts) and
RESULTS.png (the cache / quality trade-off).

    python3 -m engine.pipeline.results [--json engine/pipeline/RESULTS.json] [--md engine/pipeline/RESULTS.md]
                                       [--png engine/pipeline/RESULTS.png]

evaluate.mjs runs this itself when it has written RESULTS.json (`npm run evaluate -- --models ...`), so one
command gives all three files; run it alone to redraw them from an existing RESULTS.json.

Models are told apart by their shape, not their file names: `architecture` llama/qwen2 is the dense model;
a `recurformer` (or `falcon-h1` bench twin) keeps k of the dense model's G KV groups per layer, read from the
entry's `shape` (kvHeadsPerLayer, sourceKvHeads) where evaluate.mjs recorded it, else from the cache bytes'
growth per token against the dense row's (the KV share; the recurrent state is a constant), with G = 8.

Exact match is in percent; "points" are percentage points. Needs only the standard library and numpy
(matplotlib for a labelled PNG; without it a plain PNG with a colour key in RESULTS.md).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import struct
import sys
import zlib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_JSON = os.path.join(HERE, "RESULTS.json")
DOCQA_LENGTHS = ["1k", "4k", "8k", "16k"]
HASHHOP_LENGTHS = ["1k", "4k", "8k"]
HOPS = ["1", "2"]
CACHE_TOKENS = [1024, 4096, 8192, 16384]
SMALL_SAMPLE = 10                  # cells with fewer samples get a dagger

# the targets (numbers in one place, so the text and the verdicts cannot drift apart)
PPL_RATIO_MAX = 1.05               # keep 1/8 held-out perplexity <= 1.05 x dense
POINTS_MAX = 3.0                   # doc-QA and HashHop within 3 points of dense at every length
CACHE_16K_MAX = 13.0               # keep 1/8 cache at 16k <= 13 % of dense
DENSE_DOCQA_4K_MIN = 90.0          # dense doc-QA >= 90 % at 4k
TARGET_KEEP = Fraction(1, 8)

DENSE_ARCHS = ("llama", "qwen2")
MET, NOT_MET, NOT_MEASURED = "met", "NOT met", "not measured"


# ----------------------------------------------------------------------------- reading

@dataclass
class Cell:
    """One exact-match cell: percent and the number of samples behind it."""
    pct: Optional[float]
    n: int

    @property
    def correct(self) -> int:
        return 0 if self.pct is None else int(round(self.pct * self.n / 100))

    def text(self) -> str:
        if self.pct is None or self.n == 0:
            return "—"
        mark = "†" if self.n < SMALL_SAMPLE else ""
        return f"{self.pct:.1f} ({self.correct}/{self.n}){mark}"


@dataclass
class Row:
    entry: dict
    label: str                      # "dense", "RecurFormer keep 1/8", ...
    short: str                      # "dense", "keep1", ... (plot labels)
    kind: str                       # "dense", "recurformer", "falcon-h1", or the architecture
    keep: Optional[Fraction]        # kept share of the dense model's KV groups
    keep_text: str                  # "1/8"
    perplexity: Optional[float]
    ppl_tokens: int
    docqa: Dict[str, Cell] = field(default_factory=dict)
    hashhop: Dict[Tuple[str, str], Cell] = field(default_factory=dict)     # (hops, length) -> cell
    hashhop_all: Dict[str, Cell] = field(default_factory=dict)             # length -> cell, both hops
    cache: Dict[int, Optional[int]] = field(default_factory=dict)
    ppl_ratio: Optional[float] = None
    cache_pct: Dict[int, Optional[float]] = field(default_factory=dict)
    dense_cache: Dict[int, Optional[float]] = field(default_factory=dict)   # the dense figure it is compared with

    @property
    def mean_docqa(self) -> Optional[float]:
        vals = [c.pct for c in self.docqa.values() if c.pct is not None and c.n > 0]
        return sum(vals) / len(vals) if vals else None


def _task(entry: dict, name: str) -> Optional[dict]:
    return (entry.get("tasks") or {}).get(name)


def _hop_counts(task: dict) -> Dict[str, int]:
    """Samples per hop count: recorded by evaluate.mjs as `hopSamples`; older files lack it, and then the
    eval split's order (hops 1 and 2 alternating, starting with 1) gives ceil(n/2) and floor(n/2)."""
    if task.get("hopSamples"):
        return {str(k): int(v) for k, v in task["hopSamples"].items()}
    n = int(task.get("n", 0))
    return {"1": (n + 1) // 2, "2": n // 2}


def _cache(entry: dict, tokens: int) -> Optional[int]:
    v = (entry.get("cacheBytes") or {}).get(str(tokens))
    return None if v is None else int(v)


def _kv_slope(entry: dict) -> Optional[float]:
    """KV bytes per token: from the shape, else the growth of the cache bytes between the largest two lengths."""
    shape = entry.get("shape") or {}
    if shape.get("kvBytesPerToken") is not None:
        return float(shape["kvBytesPerToken"])
    points = sorted((t, _cache(entry, t)) for t in CACHE_TOKENS if _cache(entry, t) is not None)
    if len(points) < 2:
        return None
    (t0, b0), (t1, b1) = points[-2], points[-1]
    return (b1 - b0) / (t1 - t0)


def _is_dense(entry: dict) -> bool:
    return entry.get("architecture") in DENSE_ARCHS


def _keep(entry: dict, dense: Optional[dict]) -> Tuple[Optional[Fraction], str]:
    """The kept share of the dense model's KV groups and its text ("1/8")."""
    if _is_dense(entry):
        shape = entry.get("shape") or {}
        g = max(shape.get("kvHeadsPerLayer") or [8])
        return Fraction(1), f"{g}/{g}"
    shape = entry.get("shape") or {}
    kept = shape.get("kvHeadsPerLayer")
    groups = shape.get("sourceKvHeads")
    if groups is None and dense is not None:
        groups = max((dense.get("shape") or {}).get("kvHeadsPerLayer") or [0]) or None
    if kept and groups:
        if len(set(kept)) == 1:
            return Fraction(kept[0], groups), f"{kept[0]}/{groups}"
        mean = sum(kept) / len(kept)
        return Fraction(sum(kept), groups * len(kept)), f"{mean:.3g}/{groups} (mean)"
    slope, dense_slope = _kv_slope(entry), (_kv_slope(dense) if dense is not None else None)
    if slope is None or not dense_slope:
        return None, "?"
    share = slope / dense_slope
    if abs(share * 8 - round(share * 8)) < 1e-6:
        return Fraction(round(share * 8), 8), f"{round(share * 8)}/8"
    f = Fraction(share).limit_denominator(64)
    return f, f"{f.numerator}/{f.denominator}"


def build_rows(results: dict) -> Tuple[List[Row], Optional[Row]]:
    """Rows in table order (dense, then by kept share, bench twins last) and the dense reference row."""
    entries = results.get("models") or []
    dense_entry = next((e for e in entries if _is_dense(e)), None)
    rows: List[Row] = []
    for e in entries:
        keep, keep_text = _keep(e, dense_entry)
        arch = e.get("architecture", "?")
        if _is_dense(e):
            kind, label, short = "dense", "dense", "dense"
        elif arch == "recurformer":
            kind = "recurformer"
            label = f"RecurFormer keep {keep_text}"
            short = f"keep{keep.numerator * 8 // keep.denominator}" if keep is not None and (keep * 8).denominator == 1 \
                else f"keep {keep_text}"
        elif arch == "falcon-h1":
            kind, label, short = "falcon-h1", f"Falcon-H1 twin ({keep_text} KV)", "falcon"
        else:
            kind, label, short = arch, f"{arch} ({e.get('model', '?')})", arch
        held = e.get("heldout") or {}
        row = Row(entry=e, label=label, short=short, kind=kind, keep=keep, keep_text=keep_text,
                  perplexity=held.get("perplexity"), ppl_tokens=int(held.get("tokens") or 0))
        for length in DOCQA_LENGTHS:
            t = _task(e, f"docqa_{length}")
            row.docqa[length] = Cell(None if t is None else 100.0 * t["exactMatch"], 0 if t is None else int(t["n"]))
        for length in HASHHOP_LENGTHS:
            t = _task(e, f"hashhop_{length}")
            row.hashhop_all[length] = Cell(None if t is None else 100.0 * t["exactMatch"],
                                           0 if t is None else int(t["n"]))
            counts = _hop_counts(t) if t is not None else {}
            by_hops = (t or {}).get("byHops") or {}
            for hop in HOPS:
                frac = by_hops.get(hop)
                row.hashhop[(hop, length)] = Cell(None if frac is None else 100.0 * frac,
                                                  counts.get(hop, 0) if frac is not None else 0)
        for n in CACHE_TOKENS:
            row.cache[n] = _cache(e, n)
        rows.append(row)

    dense = next((r for r in rows if r.kind == "dense"), None)
    for r in rows:
        if dense is not None and r.perplexity is not None and dense.perplexity:
            r.ppl_ratio = r.perplexity / dense.perplexity
        for n in CACHE_TOKENS:
            base = dense.cache.get(n) if dense is not None else None
            if base is None:                      # no dense row: the dense figure from the model's own provenance
                per_token = (r.entry.get("shape") or {}).get("denseKvBytesPerToken")
                base = None if per_token is None else per_token * n
            r.dense_cache[n] = base
            r.cache_pct[n] = None if (base in (None, 0) or r.cache.get(n) is None) else 100.0 * r.cache[n] / base
    order = {"dense": 0, "recurformer": 1, "falcon-h1": 2}
    rows.sort(key=lambda r: (order.get(r.kind, 3), r.keep if r.keep is not None else Fraction(2)))
    return rows, dense


# ----------------------------------------------------------------------------- targets

@dataclass
class Target:
    text: str
    verdict: str
    numbers: str


def _fmt_ppl(x: Optional[float]) -> str:
    return "—" if x is None else f"{x:.3f}"


def _points_check(row: Row, dense: Row) -> Tuple[str, str]:
    """Every doc-QA length and every HashHop (hops, length) cell within POINTS_MAX points below dense."""
    cells = [(f"doc-QA {length}", row.docqa[length], dense.docqa[length]) for length in DOCQA_LENGTHS]
    cells += [(f"HashHop {hop}-hop {length}", row.hashhop[(hop, length)], dense.hashhop[(hop, length)])
              for length in HASHHOP_LENGTHS for hop in HOPS]
    missing = [name for name, a, b in cells if a.pct is None or b.pct is None or a.n == 0 or b.n == 0]
    deltas = [(name, a.pct - b.pct) for name, a, b in cells if (name not in missing)]
    failing = [(name, d) for name, d in deltas if d < -POINTS_MAX - 1e-9]
    parts = []
    if deltas:
        worst = min(deltas, key=lambda x: x[1])
        parts.append(f"worst {worst[0]}: {worst[1]:+.1f} points")
    if failing:
        parts.append("more than 3 points below dense: " + ", ".join(f"{n} ({d:+.1f})" for n, d in failing))
    if missing:
        parts.append("not measured: " + ", ".join(missing))
    verdict = NOT_MET if failing else (NOT_MEASURED if missing else MET)
    return verdict, "; ".join(parts) or "no cells"


def targets(rows: List[Row], dense: Optional[Row]) -> List[Target]:
    keep18 = next((r for r in rows if r.kind == "recurformer" and r.keep == TARGET_KEEP), None)
    out: List[Target] = []
    no_dense = "no dense model in RESULTS.json"
    no_rf = "no RecurFormer keep 1/8 model in RESULTS.json"

    text = f"keep 1/8 held-out perplexity ≤ {PPL_RATIO_MAX:.2f}× dense"
    if dense is None or keep18 is None or keep18.ppl_ratio is None:
        out.append(Target(text, NOT_MEASURED, no_dense if dense is None else no_rf))
    else:
        out.append(Target(text, MET if keep18.ppl_ratio <= PPL_RATIO_MAX + 1e-12 else NOT_MET,
                          f"{_fmt_ppl(keep18.perplexity)} vs dense {_fmt_ppl(dense.perplexity)} = "
                          f"{keep18.ppl_ratio:.3f}×"))

    text = (f"doc-QA (1k–16k) and HashHop (1- and 2-hop, 1k–8k) exact match within {POINTS_MAX:g} points "
            "of dense at every length (keep 1/8)")
    if dense is None or keep18 is None:
        out.append(Target(text, NOT_MEASURED, no_dense if dense is None else no_rf))
    else:
        verdict, numbers = _points_check(keep18, dense)
        others = [r for r in rows if r.kind == "recurformer" and r is not keep18]
        if others:
            numbers += "; for reference: " + ", ".join(f"keep {r.keep_text} {_points_check(r, dense)[0]}"
                                                       for r in others)
        out.append(Target(text, verdict, numbers))

    text = f"keep 1/8 cache at 16k ≤ {CACHE_16K_MAX:g}% of dense"
    pct = keep18.cache_pct.get(16384) if keep18 is not None else None
    if pct is None:
        out.append(Target(text, NOT_MEASURED, no_rf if keep18 is None else "no dense cache figure at 16k"))
    else:
        out.append(Target(text, MET if pct <= CACHE_16K_MAX + 1e-9 else NOT_MET,
                          f"{_fmt_bytes(keep18.cache[16384])} vs dense "
                          f"{_fmt_bytes(keep18.dense_cache[16384])} = {pct:.2f}%"))

    text = f"dense doc-QA exact match ≥ {DENSE_DOCQA_4K_MIN:g}% at 4k"
    cell = dense.docqa.get("4k") if dense is not None else None
    if cell is None or cell.pct is None or cell.n == 0:
        out.append(Target(text, NOT_MEASURED, no_dense if dense is None else "doc-QA 4k not run"))
    else:
        out.append(Target(text, MET if cell.pct >= DENSE_DOCQA_4K_MIN - 1e-9 else NOT_MET,
                          f"{cell.pct:.1f}% ({cell.correct}/{cell.n})"))
    return out


# ----------------------------------------------------------------------------- markdown

def _fmt_bytes(b: Optional[float]) -> str:
    if b is None:
        return "—"
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if b >= size:
            return f"{b / size:.2f} {unit}"
    return f"{int(b)} B"


def _date(created: Optional[str]) -> str:
    if not created:
        return "unknown date"
    try:
        t = _dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
        return t.astimezone(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return created


def table(rows: List[Row]) -> str:
    head = (["model", "file", "held-out ppl", "ppl / dense"] + [f"doc-QA {l}" for l in DOCQA_LENGTHS]
            + [f"HashHop {h}-hop {l}" for h in HOPS for l in HASHHOP_LENGTHS]
            + [f"cache {l}" for l in ("1k", "4k", "8k", "16k")])
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|"]
    for r in rows:
        cells = [r.label, f"`{r.entry.get('model', '?')}`",
                 _fmt_ppl(r.perplexity), "—" if r.ppl_ratio is None else f"{r.ppl_ratio:.3f}×"]
        cells += [r.docqa[l].text() for l in DOCQA_LENGTHS]
        cells += [r.hashhop[(h, l)].text() for h in HOPS for l in HASHHOP_LENGTHS]
        cells += [f"{_fmt_bytes(r.cache[n])} ({'—' if r.cache_pct[n] is None else f'{r.cache_pct[n]:.1f}%'})"
                  for n in CACHE_TOKENS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_markdown(results: dict, rows: List[Row], dense: Optional[Row], command: str,
                    png_name: Optional[str], png_key: Optional[str]) -> str:
    date = _date(results.get("created"))
    samples = results.get("samples") or {}
    out = ["# RecurFormer evaluation results", "",
           f"Measured {date} through the patched llama.cpp (CPU, {results.get('threads', '?')} threads) by",
           "", "```sh", results.get("command", "(command not recorded)"), "```", "",
           "and written up by", "", "```sh", command, "```", "",
           "Exact match in percent (correct/samples); † marks a cell with fewer than "
           f"{SMALL_SAMPLE} samples, where one answer moves it by more than {100 // SMALL_SAMPLE} points. "
           "Cache: bytes of one sequence at that many tokens, computed from each GGUF's shape with F16 K/V "
           "(KV of the kept heads + the fixed recurrent state; engine/llama/README.md \"Cache\"), and in brackets % of dense. "
           "Models are told apart by their shape (kept KV groups per layer), not their file names.", "",
           table(rows), ""]

    out += ["## Targets", "", "| target | verdict | numbers |", "|---|---|---|"]
    for t in targets(rows, dense):
        verdict = f"**{t.verdict}**"
        out.append(f"| {t.text} | {verdict} | {t.numbers} |")
    out.append("")

    out += ["## Samples per cell", ""]
    if samples:
        out.append("- Requested: " + ", ".join(f"{k} = {v}" for k, v in samples.items()) +
                   " (HashHop alternates 1- and 2-hop questions, so each hop cell holds about half).")
    toks = sorted({r.ppl_tokens for r in rows})
    if toks:
        out.append(f"- Held-out perplexity: {', '.join(str(t) for t in toks)} predicted tokens per model.")
    small = [(r.label, name) for r in rows
             for name, cell in ([(f"doc-QA {l}", r.docqa[l]) for l in DOCQA_LENGTHS] +
                                [(f"HashHop {h}-hop {l}", r.hashhop[(h, l)]) for h in HOPS for l in HASHHOP_LENGTHS])
             if 0 < cell.n < SMALL_SAMPLE]
    if small:
        names = sorted({name for _, name in small}, key=lambda s: (s.split()[0], s))
        out.append(f"- Cells with fewer than {SMALL_SAMPLE} samples (†): {', '.join(names)}.")
    out.append("")

    if png_name:
        out += ["## Trade-off", "", f"![cache at 16k against quality]({png_name})", ""]
        out.append("Left: mean doc-QA exact match over the lengths measured; right: held-out perplexity / dense; "
                   "both against the cache at 16k tokens as % of dense.")
        if png_key:
            out.append(png_key)
        out.append("")
    return "\n".join(out)


# ----------------------------------------------------------------------------- PNG

COLORS = {"dense": (0, 0, 0), "keep1": (214, 39, 40), "keep2": (255, 127, 14), "keep4": (31, 119, 180),
          "falcon": (44, 160, 44)}


def _color(short: str, i: int) -> Tuple[int, int, int]:
    return COLORS.get(short, [(148, 103, 189), (140, 86, 75), (227, 119, 194)][i % 3])


def _points(rows: List[Row]):
    pts = []
    for i, r in enumerate(rows):
        x = r.cache_pct.get(16384)
        if x is None:
            continue
        pts.append((r.short, x, r.mean_docqa, r.ppl_ratio, _color(r.short, i)))
    return pts


def write_png(rows: List[Row], path: str) -> Optional[str]:
    """Writes the trade-off figure; returns a colour key for RESULTS.md when it could not label the points."""
    pts = _points(rows)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        _write_plain_png(pts, path)
        return ("(Plain PNG without labels: matplotlib is not installed. Points: " +
                ", ".join(f"{s} = rgb{c}" for s, _, _, _, c in pts) + "; x from 0 to 100%.)")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    panels = [(axes[0], 2, "mean doc-QA exact match (%)"), (axes[1], 3, "held-out perplexity / dense")]
    for ax, k, ylabel in panels:
        for p in pts:
            if p[k] is None:
                continue
            ax.scatter([p[1]], [p[k]], color=[c / 255 for c in p[4]], s=50, zorder=3)
            ax.annotate(p[0], (p[1], p[k]), textcoords="offset points", xytext=(6, 5), fontsize=9)
        ax.set_xlabel("cache at 16k tokens (% of dense)")
        ax.set_ylabel(ylabel)
        ax.set_xlim(0, 105)
        ax.grid(alpha=0.3)
    axes[0].set_ylim(0, 105)
    axes[1].axhline(PPL_RATIO_MAX, color="grey", lw=0.8, ls="--")
    axes[1].text(2, PPL_RATIO_MAX, f" target {PPL_RATIO_MAX:.2f}×", va="bottom", fontsize=8, color="grey")
    for ax in axes:
        ax.axvline(CACHE_16K_MAX, color="grey", lw=0.8, ls="--")
    axes[0].text(CACHE_16K_MAX, 2, f" cache target {CACHE_16K_MAX:g}%", fontsize=8, color="grey")
    fig.suptitle("RecurFormer: cache at 16k vs quality", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def _write_plain_png(pts, path: str, w: int = 640, h: int = 300) -> None:
    """Two panels (doc-QA 0..100 %, perplexity ratio) over x = 0..100 % of dense; a 7x7 square per point."""
    img = [[(255, 255, 255)] * w for _ in range(h)]
    panel_w, pad = w // 2, 20
    ratios = [p[3] for p in pts if p[3] is not None]
    lo, hi = (min(ratios + [1.0]) - 0.05, max(ratios + [1.0]) + 0.05) if ratios else (0.9, 1.1)
    for panel in range(2):
        x0, x1, y0, y1 = panel * panel_w + pad, (panel + 1) * panel_w - pad, pad, h - pad
        for x in range(x0, x1 + 1):
            img[y1][x] = (0, 0, 0)
        for y in range(y0, y1 + 1):
            img[y][x0] = (0, 0, 0)
        for p in pts:
            v = p[2] if panel == 0 else p[3]
            if v is None:
                continue
            fy = v / 100 if panel == 0 else (v - lo) / (hi - lo)
            px = int(x0 + (x1 - x0) * max(0.0, min(1.0, p[1] / 100)))
            py = int(y1 - (y1 - y0) * max(0.0, min(1.0, fy)))
            for dy in range(-3, 4):
                for dx in range(-3, 4):
                    if 0 <= py + dy < h and 0 <= px + dx < w:
                        img[py + dy][px + dx] = p[4]
    raw = zlib.compress(b"".join(b"\x00" + bytes(c for px in row for c in px) for row in img), 9)

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


# ----------------------------------------------------------------------------- main

def _rel(p: str) -> str:
    try:
        r = os.path.relpath(p)
        return p if r.startswith("..") else r
    except ValueError:
        return p


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", default=DEFAULT_JSON, help="RESULTS.json from evaluate.mjs")
    ap.add_argument("--md", help="output markdown (default: RESULTS.md beside the JSON)")
    ap.add_argument("--png", help="output PNG (default: RESULTS.png beside the JSON); 'none' to skip")
    a = ap.parse_args(argv)
    with open(a.json, encoding="utf-8") as f:
        results = json.load(f)
    base = os.path.dirname(os.path.abspath(a.json))
    md = a.md or os.path.join(base, "RESULTS.md")
    png = None if a.png == "none" else (a.png or os.path.join(base, "RESULTS.png"))

    rows, dense = build_rows(results)
    key = write_png(rows, png) if png else None
    command = "python3 -m engine.pipeline.results --json " + _rel(a.json)
    if a.md:
        command += " --md " + _rel(a.md)
    if a.png:
        command += " --png " + (a.png if a.png == "none" else _rel(a.png))
    png_name = os.path.relpath(png, os.path.dirname(os.path.abspath(md))) if png else None
    text = render_markdown(results, rows, dense, command, png_name, key)
    tmp = md + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, md)
    for t in targets(rows, dense):
        print(f"[results] {t.verdict:>12}: {t.text} ({t.numbers})")
    print(f"[results] wrote {_rel(md)}" + (f" and {_rel(png)}" if png else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
