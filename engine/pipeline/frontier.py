"""The recall-memory frontier (issues 14, 15): every evaluated model as one point, cache bytes against
exact-match recall on the held-out families, the same samples for all (results.py builds the rows).

Recall is pooled over the held-out document questions and HashHop 1-hop lookups (both normalized exact match of
the bare answer) at each length; cache bytes are the engine's (evaluate.mjs: CacheMeter, the figure the app's
meters show, checked against llama.cpp's buffers by the runtime tests) for one sequence at 1k, 4k and 16k tokens.
llama.cpp rows (the engine, CPU) give recall at 1k and 4k; PyTorch rows of the same model (the reference on the
GPU, where 16k-token documents are fast) give recall at 16k.

    frontier_rows(rows)      -> [{key, label, bytes: {1024,4096,16384}, recall: {n: (correct, graded)}}]
    frontier_table(points)   -> Markdown lines
    write_frontier_png(points, path)
"""
import re

from .tasks.scoring import wilson

LENGTHS = (1024, 4096, 16384)
RECALL_SETS = {1024: ("docqa_1k", "hop1_1k"), 4096: ("docqa_4k", "hop1_4k"), 16384: ("docqa_16k",)}


def model_key(label):
    """One name per model across evaluators: 'dense', 'keep1', 'based-w64-d16', with '+q8_0' for a q8_0 K/V
    cache and '+pyramid-r0.8-d0.7' for PyramidInfer (llama.cpp only: 'dense + pyramid r0 0.8/0.7'); torch labels
    are run names (dense, keep1-mixed, based-w64-d16), llama.cpp labels come from the GGUF shape (dense, keep 1/8,
    BASED w64 d'16)."""
    base = label.split(" (")[0]
    pyramid = re.search(r"\+ pyramid r0 ([\d.]+)/([\d.]+)", base)
    q8 = ("+q8_0" if "q8_0" in base else "") + (f"+pyramid-r{pyramid.group(1)}-d{pyramid.group(2)}" if pyramid else "")
    keep = re.match(r"keep ?(\d+)", base)
    based = re.match(r"(?i)based[- ]w(\d+)[- ]d'?(\d+)", base)
    if keep:
        return f"keep{keep.group(1)}{q8}"
    if based:
        return f"based-w{based.group(1)}-d{based.group(2)}{q8}"
    if base.startswith("dense"):
        return "dense" + q8
    return base + q8


def _pooled(row, names):
    cells = [row["cells"].get(n) for n in names]
    cells = [c for c in cells if c and c["graded"]]
    return (sum(c["correct"] for c in cells), sum(c["graded"] for c in cells)) if cells else None


ASIDE_TAGS = (" (previous pair)", " (candidate, not shipped)")


def aside(label):
    """The tag of a row set aside from the targets and the frontier (an earlier pair, a candidate not shipped), or ""."""
    return next((t for t in ASIDE_TAGS if label.endswith(t)), "")


def frontier_rows(rows):
    """llama.cpp rows (bytes, recall at 1k/4k) joined with the PyTorch row of the same model (recall at 16k);
    rows set aside (an earlier pair, a candidate: `aside`) are left out."""
    torch_by_key = {model_key(r["label"]): r for r in rows if r["evaluator"] == "pytorch" and not aside(r["label"])}
    points = []
    for r in rows:
        if r["evaluator"] != "llama.cpp" or aside(r["label"]) or not r.get("cacheBytes"):
            continue
        key = model_key(r["label"])
        t = torch_by_key.get(key) if "+" not in key else None
        recall = {}
        for n in LENGTHS:
            for source in (r, t):
                got = source and _pooled(source, RECALL_SETS[n])
                if got:
                    recall[n] = got + ("llama.cpp" if source is r else "pytorch",)
                    break
        points.append({"key": key, "label": r["label"], "bytes": {n: r["cacheBytes"].get(str(n)) for n in LENGTHS},
                       "recall": recall})
    return points


def _recall_text(got):
    if not got:
        return "—"
    c, n, ev = got
    lo, hi = wilson(c, n)
    return f"{100 * c / n:.0f} [{100 * lo:.0f}–{100 * hi:.0f}] ({c}/{n}{', PyTorch' if ev == 'pytorch' else ''})"


def frontier_table(points):
    dense = next((p for p in points if p["key"] == "dense"), None)
    lines = ["| model | cache 1k | 4k | 16k | recall 1k | 4k | 16k |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for p in sorted(points, key=lambda p: -(p["bytes"][16384] or 0)):
        cells = []
        for n in LENGTHS:
            b = p["bytes"][n]
            share = f" ({100 * b / dense['bytes'][n]:.1f}%)" if dense and dense is not p and b and dense["bytes"][n] else ""
            cells.append("—" if b is None else f"{b / 2 ** 20:.1f} MiB{share}")
        lines.append(f"| {p['label']} | " + " | ".join(cells) + " | " +
                     " | ".join(_recall_text(p["recall"].get(n)) for n in LENGTHS) + " |")
    return lines


def write_frontier_png(points, path):
    """Two panels, cache at 16k (log scale) against recall with 95% intervals: at 1k+4k pooled, and at 16k."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.6), sharey=True)
    panels = [((1024, 4096), "recall at 1k and 4k tokens (llama.cpp), %"), ((16384,), "recall at 16k tokens, %")]
    colors = {"dense": "#444444", "keep": "#1f77b4", "based": "#d62728", "pyramid": "#2ca02c"}
    # each point carries a number, the same in both panels; the key under the chart names them (labels written beside
    # points that sit close together overlap)
    ordered = sorted(points, key=lambda p: -(p["bytes"][16384] or 0))
    for ax, (lengths, title) in zip(axes, panels):
        for i, p in enumerate(ordered, 1):
            got = [p["recall"].get(n) for n in lengths if p["recall"].get(n)]
            x = p["bytes"][16384]
            if not got or not x:
                continue
            c, n = sum(g[0] for g in got), sum(g[1] for g in got)
            lo, hi = wilson(c, n)
            y = 100 * c / n
            color = colors["pyramid"] if "pyramid" in p["key"] else next((v for k, v in colors.items() if p["key"].startswith(k)), "#9467bd")
            marker = "s" if "q8_0" in p["key"] else "o"
            ax.errorbar([x / 2 ** 20], [y], yerr=[[y - 100 * lo], [100 * hi - y]], fmt=marker, color=color,
                        capsize=3, markersize=6)
            ax.annotate(str(i), (x / 2 ** 20, y), textcoords="offset points", xytext=(5, 3 + 9 * (i % 3)), fontsize=8,
                        color=color)
        ax.set_xscale("log")
        ax.set_xlabel("cache of one sequence at 16k tokens (MiB, log scale)")
        ax.set_title(title, fontsize=10)
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("exact-match recall on held-out families (%)")
    key = [f"{i} {p['label']}" for i, p in enumerate(ordered, 1)]
    rows = (len(key) + 2) // 3
    fig.text(0.01, 0.01, "\n".join("      ".join(k.ljust(38) for k in key[r::rows]) for r in range(rows)),
             fontsize=8, family="monospace", va="bottom")
    fig.suptitle("Recall against memory: dense, RecurFormer keep k/8, BASED, PyramidInfer (green), q8_0 caches (squares)", fontsize=11)
    fig.tight_layout(rect=(0, 0.04 + 0.028 * rows, 1, 1))
    fig.savefig(path, dpi=100)
