"""A layers x groups heatmap PNG with marked cells: matplotlib when installed, else a plain
PNG written with zlib (no labels) so that the pipeline has no hard plotting dependency."""
from __future__ import annotations

import struct
import zlib
from typing import List


def write_heatmap(scores: List[List[float]], marked: List[List[int]], path: str, title: str) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        _write_plain_png(scores, marked, path)
        return
    L, G = len(scores), len(scores[0])
    fig, ax = plt.subplots(figsize=(1.2 + 0.6 * G, 1.0 + 0.45 * L))
    im = ax.imshow(scores, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for il, groups in enumerate(marked):
        for g in groups:
            ax.text(g, il, "x", ha="center", va="center", color="white", fontsize=9, fontweight="bold")
    ax.set_xlabel("KV group")
    ax.set_ylabel("layer")
    ax.set_xticks(range(G))
    ax.set_yticks(range(L))
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _write_plain_png(scores, marked, path, cell: int = 24) -> None:
    L, G = len(scores), len(scores[0])
    w, h = G * cell, L * cell
    rows = []
    for y in range(h):
        il = y // cell
        row = bytearray([0])
        for x in range(w):
            g = x // cell
            v = max(0.0, min(1.0, scores[il][g]))
            mark = g in marked[il] and abs((x % cell) - (y % cell)) < 2
            row += bytes((255, 255, 255)) if mark else bytes((int(40 + 200 * v), int(30 + 120 * v), int(90 * (1 - v))))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
