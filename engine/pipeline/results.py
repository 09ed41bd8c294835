"""The report of the held-out evaluation: RESULTS.json, RESULTS.md (tables with 95% intervals, the issue's
targets met or not, the recall-memory frontier of frontier.py, doc-QA by answer depth per model) and RESULTS.png
(that frontier), from replies files:

    /usr/bin/python3 -m engine.pipeline.results --torch runs/X/replies-dense.json,runs/X/replies-keep1.json \
        --llama engine/pipeline/runs/replies-llama.json [--heldout engine/pipeline/build/heldout] [--out-dir DIR]

--torch: files of stages/evaluate_torch.py (PyTorch reference, one model each, usually on the GPU);
--llama: files of evaluate.mjs (llama.cpp, several models each, cache bytes; a model in several files is merged). Every reply is scored here by
tasks/scoring.py against tasks/heldout.py's sets, so the two evaluators are judged alike. Standard library
(+ matplotlib for the PNG when installed; else a plain bar PNG).
"""
import argparse
import json
import os
import struct
import sys
import zlib
from datetime import datetime, timezone

from .answer_depth import DEPTH_BINS, answer_depth, depth_bin
from .frontier import ASIDE_TAGS, aside, frontier_rows, frontier_table, model_key, write_frontier_png
from .tasks import pinned
from .tasks.scoring import judge, normalize, summarize

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = [("docqa_1k", "doc-QA 1k"), ("docqa_4k", "4k"), ("docqa_8k", "8k"), ("docqa_16k", "16k"),
           ("hop1_1k", "HashHop 1-hop 1k"), ("hop1_4k", "4k"), ("hop2_1k", "2-hop 1k"), ("hop2_4k", "4k"),
           ("docqa_hand_2k", "hand-written doc-QA 2k"), ("facts", "plain questions")]
DOC_SETS = ("docqa_1k", "docqa_4k", "docqa_8k", "docqa_16k")


def load_sets(heldout):
    sets = {}
    for f in sorted(os.listdir(heldout)):
        if f.endswith(".jsonl"):
            with open(os.path.join(heldout, f), encoding="utf-8") as fh:
                sets[f[:-6]] = [json.loads(l) for l in fh if l.strip()]
    return sets


def check_sets(paths, current):
    """Raises ValueError naming the first replies file that did not answer the sets in `current` (their
    fingerprints, tasks/pinned.py): replies scored against other sets than they answered are wrong."""
    for path in paths:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        replies = [data.get("replies", {})] + [m.get("replies", {}) for m in data.get("models", [])]
        names = {rid.rsplit("_", 1)[0] for r in replies for rid in r}
        if "perplexity" in data or any("perplexity" in m for m in data.get("models", [])):
            names.add(pinned.TEXT)
        if "sets" not in data:
            raise ValueError(f"{path} records no fingerprints of the sets it answered (made before the sets were "
                             "pinned): evaluate again on the pinned sets")
        differ = pinned.mismatches(data["sets"], current, names)
        if differ:
            raise ValueError(f"{path} answered other versions of {', '.join(differ)} than these: evaluate again on "
                             "the pinned sets (tasks/pinned.py)")


def llama_label(m):
    s = m.get("shape", {})
    if m.get("architecture") == "based":
        label = f"BASED w{s.get('window')} d'{s.get('featureDim')}"
    elif m.get("architecture") != "recurformer":
        label = "dense"
    else:
        kept, src = (s.get("kvHeadsPerLayer") or [0])[0], s.get("sourceKvHeads") or 8
        label = f"keep {kept}/{src}"
    return label + (" q8_0 KV" if m.get("cacheType") == "q8_0" else "") + pyramid_label(m.get("pyramid"))


def pyramid_label(p):
    """' + pyramid r0 0.8/0.7' for evaluate.mjs's pyramid entry (recent, queries, every named where not the engine's
    defaults: 64, 16, the batch), '' without one."""
    if not p:
        return ""
    extra = [f"{k} {p[k]}" for k, default in (("recent", 64), ("queries", 16), ("every", p.get("batchSize")))
             if p.get(k) is not None and p[k] != default]
    return f" + pyramid r0 {p['r0']:g}/{p['decay']:g}" + (f" ({', '.join(extra)})" if extra else "")


def depth_cells(sets, replies):
    """Doc-QA by answer depth (answer_depth.py): {set: [summary per DEPTH_BINS]} for each document-question set with
    replies, and "all" (the sets pooled) when there are several."""
    out, pooled = {}, [[] for _ in DEPTH_BINS]
    for name in DOC_SETS:
        answered = [x for x in sets.get(name, []) if x["id"] in replies]
        if not answered:
            continue
        bins = [[] for _ in DEPTH_BINS]
        for x in answered:
            depth = answer_depth(x)
            if depth is not None:
                bins[depth_bin(depth)].append(x)
        out[name] = [summarize(b, replies) for b in bins]
        for i, b in enumerate(bins):
            pooled[i] += b
    if len(out) > 1:
        out["all"] = [summarize(b, replies) for b in pooled]
    return out


def merged_llama_models(paths):
    """The model entries of several evaluate.mjs files, one per model file, cache type and schedule: a model run in
    more than one file gets the union of its replies; where two runs answered the same sample the later file's reply
    is kept (so a later run's sets come from that run alone) and `rerun` counts, over every later file, the samples
    answered before and how many replies differ (greedy decoding on the same build should give none). Cache bytes
    come from the latest file that has the model, perplexity from the file that measured it over the most tokens
    (the latest of those that tie), so a short check run listed later does not replace a longer measurement."""
    out = {}
    for i, path in enumerate(paths):
        with open(path, encoding="utf-8") as f:
            r = json.load(f)
        for m in r["models"]:
            key = (m["model"], m.get("cacheType"), json.dumps(m.get("pyramid"), sort_keys=True))
            if key not in out:
                out[key] = {**m, "replies": dict(m["replies"]), "runs": [os.path.basename(path)],
                            "_dirs": {os.path.dirname(path)}}
                continue
            old = out[key]
            both = [k for k in m["replies"] if k in old["replies"]]
            differ = sum(m["replies"][k]["reply"] != old["replies"][k]["reply"] for k in both)
            ppl = old.get("perplexity") or {}
            old.update({k: v for k, v in m.items() if k != "replies"})
            if ppl.get("tokens", 0) > (m.get("perplexity") or {}).get("tokens", 0):
                old["perplexity"] = ppl
            old["replies"].update(m["replies"])
            old["runs"] = old["runs"] + [os.path.basename(path)]
            old["_dirs"] = old["_dirs"] | {os.path.dirname(path)}
            was = old.get("rerun", {"samples": 0, "differ": 0})
            old["rerun"] = {"samples": was["samples"] + len(both), "differ": was["differ"] + differ}
    return list(out.values())


def model_rows(sets, torch_files=(), llama_files=(), previous=(), candidates=(), exclude=()):
    """[{label, evaluator, file, perplexity, cells: {set: summary}, cache16k, dense16k}]; files named in `previous`
    (the pair shipped before) or `candidates` (trained, not shipped) get the tag of `frontier.aside`; a PyTorch row
    is named by its model's base name or by its replies file's path (checkpoints of two runs share names); llama.cpp
    models named in `exclude` are left out (a pair two generations back, in a file that also holds later rows)."""
    previous, candidates = set(previous), set(candidates)

    def tag(*names):
        return ASIDE_TAGS[0] if previous.intersection(names) else ASIDE_TAGS[1] if candidates.intersection(names) else ""
    rows = []
    for path in torch_files:
        with open(path, encoding="utf-8") as f:
            r = json.load(f)
        label = r["label"] + tag(os.path.basename(r["model"]), path)
        rows.append({"label": label, "evaluator": "pytorch", "file": os.path.basename(r["model"]),
                     "perplexity": r.get("perplexity", {}).get("value"), "_replies": r["replies"],
                     "_dirs": {os.path.dirname(path)},
                     "cells": {n: summarize(s, r["replies"]) for n, s in sets.items()
                               if any(x["id"] in r["replies"] for x in s)},
                     "depth": depth_cells(sets, r["replies"])})
    for m in merged_llama_models(llama_files):
        if m["model"] in exclude:
            continue
        label = llama_label(m) + tag(m["model"])
        rows.append({"label": label, "evaluator": "llama.cpp", "file": m["model"],
                     "perplexity": m.get("perplexity", {}).get("value"), "_replies": m["replies"], "_dirs": m["_dirs"],
                     "cacheBytes": m["cacheBytes"], "cache16k": m["cacheBytes"].get("16384"),
                     "dense16k": m["denseCacheBytes"].get("16384"), "runs": m["runs"],
                     **({"rerun": m["rerun"]} if m.get("rerun") else {}),
                     **({"pyramid": m["pyramid"], "allocatedBytes": m.get("allocatedBytes")} if m.get("pyramid") else {}),
                     "cells": {n: summarize(s, m["replies"]) for n, s in sets.items()
                               if any(x["id"] in m["replies"] for x in s)},
                     "depth": depth_cells(sets, m["replies"])})
    return rows


def same_model(torch_label, llama_label_):
    """Whether a PyTorch row and a llama.cpp row are the same model (the reference runs the checkpoint, llama.cpp
    its Q8_0 export, so files differ): dense with dense, keep1-* with keep 1/8, based-w64-d16 with BASED w64 d'16,
    previous with previous, candidate with candidate; a q8_0-cache row is no PyTorch row's twin."""
    return aside(torch_label) == aside(llama_label_) and model_key(torch_label) == model_key(llama_label_)


def agreement(sets, rows):
    """[(torch label, llama.cpp label, samples both ran, same reply, same verdict)]: the two evaluators on the
    same samples (greedy both, so a different reply is a numerical difference: Q8_0 weights, F16 cache).
    Candidates are left out: the variants of one ablation share a label, so their twins cannot be told apart."""
    by_id = {x["id"]: x for s in sets.values() for x in s}
    out = []
    for t in [r for r in rows if r["evaluator"] == "pytorch" and aside(r["label"]) != ASIDE_TAGS[1]]:
        for l in [r for r in rows if r["evaluator"] == "llama.cpp" and same_model(t["label"], r["label"])]:
            ids = [i for i in l["_replies"] if i in t["_replies"] and i in by_id]
            same = sum(normalize(t["_replies"][i]["reply"]) == normalize(l["_replies"][i]["reply"]) for i in ids)
            verdicts = sum(judge(by_id[i], t["_replies"][i]["reply"], t["_replies"][i]["ended"])["correct"] ==
                           judge(by_id[i], l["_replies"][i]["reply"], l["_replies"][i]["ended"])["correct"] for i in ids)
            out.append((t["label"], l["label"], len(ids), same, verdicts))
    return out


def cell_text(c):
    if not c or not c["graded"]:
        return "—"
    lo, hi = c["ci"]
    return f"{100 * c['rate']:.0f} [{100 * lo:.0f}–{100 * hi:.0f}] ({c['correct']}/{c['graded']})"


def rate(row, name):
    c = row["cells"].get(name)
    return None if not c or not c["graded"] else 100 * c["rate"]


def dense_of(rows, row):
    """The dense row of the same evaluator and the same pair (shipped, previous or candidate); of several (candidates
    of several rounds share the label), the one whose replies lie in the same run folder."""
    want = "dense" + aside(row["label"])
    if row["label"] == want:
        return row                    # a dense row is its own (two dense candidates share the label)
    cands = [r for r in rows if r["evaluator"] == row["evaluator"] and r["label"] == want]
    cands.sort(key=lambda r: not r["_dirs"] & row["_dirs"])
    return cands[0] if cands else None


def verdict(ok):
    return "**met**" if ok else "not met"


def targets(rows):
    """[(target, evaluator, measured, verdict)] for the issue's targets, per evaluator."""
    out = []
    for ev in ("pytorch", "llama.cpp"):
        dense = next((r for r in rows if r["evaluator"] == ev and r["label"] == "dense"), None)   # set aside: not
        rf = next((r for r in rows if r["evaluator"] == ev and r["label"].startswith(("keep 1/8", "keep1"))
                   and "q8_0" not in r["label"] and not aside(r["label"]) and "pyramid" not in r["label"]), None)
        if not dense:
            continue
        if rf and dense["perplexity"] and rf["perplexity"]:
            x = rf["perplexity"] / dense["perplexity"]
            out.append(("keep 1/8 held-out perplexity <= 1.10x dense", ev, f"{x:.3f}x", verdict(x <= 1.10)))
        for names, bar, what in ((("docqa_1k", "docqa_4k", "docqa_8k"), 85, "dense doc-QA >= 85% at 1k-8k"),
                                 (("docqa_16k",), 60, "dense doc-QA >= 60% at 16k"),
                                 (("hop1_1k", "hop1_4k"), 80, "dense HashHop 1-hop >= 80% at 1k-4k"),
                                 (("hop2_1k", "hop2_4k"), 50, "dense HashHop 2-hop >= 50% at 1k-4k"),
                                 (("facts",), 60, "dense plain questions >= 60%")):
            vals = [rate(dense, n) for n in names]
            if all(v is not None for v in vals):
                out.append((what, ev, ", ".join(f"{v:.0f}%" for v in vals), verdict(min(vals) >= bar)))
        for row in [r for r in rows if r["evaluator"] == ev and r["label"] != "dense" and not aside(r["label"])]:
            for names, pts, what in ((("docqa_1k", "docqa_4k", "docqa_8k", "docqa_16k"), 3, "doc-QA within 3 points"),
                                     (("hop1_1k", "hop1_4k", "hop2_1k", "hop2_4k"), 5, "HashHop within 5 points"),
                                     (("facts",), 5, "plain questions within 5 points")):
                diffs = [(n, rate(row, n) - rate(dense, n)) for n in names
                         if rate(row, n) is not None and rate(dense, n) is not None]
                if diffs:
                    worst = min(d for _, d in diffs)
                    out.append((f"{row['label']}: {what} of dense", ev,
                                ", ".join(f"{n.split('_')[-1] if '_' in n else n} {d:+.0f}" for n, d in diffs),
                                verdict(worst >= -pts)))
        for row in [r for r in rows if r["evaluator"] == ev and not aside(r["label"])]:
            o = row["cells"].get("open")
            if o:
                out.append((f"{row['label']}: open turns, 0 template leaks and >= 95% ending by themselves", ev,
                            f"{o['leaks']} leaks, {o['ended']}/{o['n']} ended",
                            verdict(o["leaks"] == 0 and o["ended"] >= 0.95 * o["n"])))
            # issue 13's cache bars are keep 1/8's (13%, 10% with q8_0); the other rows' shares are in the tables
            if row.get("cache16k") and row.get("dense16k") and model_key(row["label"]).startswith("keep1") \
                    and not row.get("pyramid"):
                share = 100 * row["cache16k"] / row["dense16k"]
                bar = 10 if "q8_0" in row["label"] else 13
                out.append((f"{row['label']}: cache at 16k <= {bar}% of dense", ev, f"{share:.2f}%",
                            verdict(share <= bar)))
    return out


def render(rows, tg, commands, created, note="", agree=()):
    lines = ["# Held-out evaluation of the default pair", "",
             f"Made {created} by `engine/pipeline/results.py` from replies files (commands below). Every set is a "
             "held-out *family* (engine/pipeline/tasks/families.py: fact kinds, sentence shapes, question phrasings, "
             "HashHop line formats, chat phrasings never used in training; document hay from Debian packages no "
             "training stage read: the PostgreSQL 15 manual and the Perl documentation), disjoint from the training "
             "families by construction and by test (tests/test_families.py). Cells: % correct [95% Wilson interval] "
             "(correct/samples). Doc-QA and 1-hop: normalized exact match of the bare answer; 2-hop: the reply's last "
             "word (replies name each step); plain questions: the Factbook value appears in the reply as whole "
             "words; hand-written doc-QA: 60 sentences and plain questions written by hand, by no generator "
             "(tasks/handwritten.py), each alone in ~2,000 tokens of the held-out text, the answer appearing in the "
             "reply as whole words. Open turns: template leaks, replies that ended by themselves, fitting replies (a "
             "greeting answered with a description of the model and no refusal; a request the model cannot serve, "
             "with a refusal or \"I don't know\"), and \"I don't know\" to questions about invented things.", "",
             "| model | evaluator | ppl | " + " | ".join(c[1] for c in COLUMNS) + " | open turns: leaks / ended / fitting / \"I don't know\" | cache 16k |",
             "| --- | --- | ---: | " + " | ".join("---:" for _ in COLUMNS) + " | ---: | ---: |"]
    for r in rows:
        d = dense_of(rows, r)
        ppl = "—" if r["perplexity"] is None else f"{r['perplexity']:.3f}"
        if r["perplexity"] and d and d is not r and d["perplexity"]:
            ppl += f" ({r['perplexity'] / d['perplexity']:.2f}x)"
        o = r["cells"].get("open")
        open_txt = "—" if not o else (f"{o['leaks']} / {o['ended']}/{o['n']} / {o['fitting']}/{o['fit_graded']} / "
                                      f"{o['correct']}/{o['graded']}")
        cache = "—"
        if r.get("cache16k"):
            cache = f"{r['cache16k'] / 2 ** 20:.1f} MiB"
            if r.get("dense16k") and r["label"] != "dense":
                cache += f" ({100 * r['cache16k'] / r['dense16k']:.1f}%)"
        lines.append(f"| {r['label']} (`{r['file']}`) | {r['evaluator']} | {ppl} | " +
                     " | ".join(cell_text(r["cells"].get(c[0])) for c in COLUMNS) + f" | {open_txt} | {cache} |")
    lines += ([""] + [note] if note else [])
    reruns = [r for r in rows if r.get("rerun")]
    if reruns:
        lines += ["", "llama.cpp rows merged from several runs (`--llama`; the later run's reply kept where both "
                      "answered): " + "; ".join(f"{r['label']}: {r['rerun']['samples']} samples answered twice, "
                                               f"{r['rerun']['differ']} replies differ" for r in reruns) + "."]
    if agree:
        lines += ["", "## Reference against llama.cpp (same samples, greedy)", "",
                  "| PyTorch row | llama.cpp row | samples | same reply | same verdict |", "| --- | --- | ---: | ---: | ---: |"]
        lines += [f"| {a} | {b} | {n} | {s} | {v} |" for a, b, n, s, v in agree]
    points = frontier_rows(rows)
    if points:
        lines += ["", "## Recall against memory (issues 14, 15)", "",
                  "Every model of this run on one scale (RESULTS.png): cache of one sequence as the engine computes it "
                  "(% of dense at the same length), and exact-match recall pooled over the held-out document questions "
                  "and HashHop 1-hop lookups at that length, [95% interval] (correct/samples), from llama.cpp; where a "
                  "llama.cpp row has no sample at a length, from the PyTorch run of the same model (marked PyTorch).", ""] + frontier_table(points)
    lines += depth_section(rows)
    lines += ["", "## Targets (issue 13)", "", "| target | evaluator | measured | verdict |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in tg]
    lines += ["", "## Commands", ""] + [f"- `{c}`" for c in commands] + [""]
    return "\n".join(lines)


def depth_section(rows):
    """'Doc-QA by answer depth': one table per model, a row per document length (and all pooled)."""
    with_depth = [r for r in rows if r.get("depth")]
    if not with_depth:
        return []
    lines = ["", "## Doc-QA by answer depth", "",
             "Where the asked fact sits in its document (`answer_depth.py`: the middle of the planted sentence as a "
             "share of the document's characters, 0 = start), the same samples for every model. PyramidInfer chooses "
             "what to drop after each prompt batch by that batch's own queries (engine/llama/PYRAMID.md), so an early "
             "fact can be gone before its question arrives. Cells as above."]
    for r in with_depth:
        lines += ["", f"### {r['label']} (`{r['file']}`, {r['evaluator']})", "",
                  "| length | " + " | ".join(DEPTH_BINS) + " |", "| --- | " + " | ".join("---:" for _ in DEPTH_BINS) + " |"]
        for name, cells in r["depth"].items():
            lines.append(f"| {'all' if name == 'all' else name.split('_')[1]} | " + " | ".join(cell_text(c) for c in cells) + " |")
    return lines


def write_png(rows, path):
    """The frontier (frontier.py) with matplotlib; without it, plain bars of held-out doc-QA accuracy."""
    points = frontier_rows(rows)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        pts = [(r["label"], 0.0, sum(rate(r, n) or 0 for n in ("docqa_1k", "docqa_4k", "docqa_8k", "docqa_16k")) / 4)
               for r in rows]
        return _plain_png(pts, path)
    write_frontier_png(points, path)
    return "matplotlib"


def _plain_png(pts, path, w=480, h=240):
    """Bars of held-out doc-QA accuracy, one per model in table order (no text: RESULTS.md names them)."""
    img = [[255] * (w * 3) for _ in range(h)]
    bw = max(4, w // (2 * max(1, len(pts)) + 1))
    for i, (_, _, y) in enumerate(pts):
        top = h - 1 - int((h - 10) * y / 100)
        x0 = bw * (2 * i + 1)
        for yy in range(top, h):
            for xx in range(x0, min(w, x0 + bw)):
                img[yy][3 * xx:3 * xx + 3] = [60, 90 + 40 * (i % 3), 200 - 50 * (i % 4)]
    raw = b"".join(b"\x00" + bytes(row) for row in img)

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    return "plain"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--torch", default="", help="comma-separated replies files of stages/evaluate_torch.py")
    ap.add_argument("--llama", default="", help="comma-separated replies files of evaluate.mjs (a model in several: "
                                               "its replies merged, the later file's kept where both answered)")
    ap.add_argument("--heldout", default=os.path.join(HERE, "build", "heldout"))
    ap.add_argument("--out-dir", default=HERE)
    ap.add_argument("--previous", default="", help="comma-separated model file names of the pair shipped before "
                                                   "(labelled so, compared, not judged against the targets)")
    ap.add_argument("--candidate", default="", help="comma-separated model file names trained but not shipped "
                                                    "(labelled so, compared, not judged against the targets)")
    ap.add_argument("--exclude", default="", help="comma-separated llama.cpp model file names to leave out")
    ap.add_argument("--note", default="", help="a paragraph put under the table")
    ap.add_argument("--command", action="append", default=[], help="a command to list in RESULTS.md (repeatable)")
    a = ap.parse_args(argv)
    if not os.path.isdir(a.heldout):
        print(f"results: {a.heldout} is missing: make the held-out sets (python3 -m engine.pipeline.tasks.heldout)",
              file=sys.stderr)
        return 2
    sets = load_sets(a.heldout)
    try:
        check_sets([p for p in (a.torch + "," + a.llama).split(",") if p], pinned.fingerprints(a.heldout))
    except ValueError as e:
        print(f"results: {e}", file=sys.stderr)
        return 2
    rows = model_rows(sets, [p for p in a.torch.split(",") if p], [p for p in a.llama.split(",") if p], set(filter(None, a.previous.split(","))),
                      set(filter(None, a.candidate.split(","))), set(filter(None, a.exclude.split(","))))
    tg = targets(rows)
    agree = agreement(sets, rows)
    created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with open(os.path.join(a.out_dir, "RESULTS.json"), "w", encoding="utf-8") as f:
        json.dump({"created": created, "rows": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
                   "agreement": [dict(zip(("pytorch", "llama.cpp", "samples", "same_reply", "same_verdict"), x))
                                 for x in agree], "targets": [dict(zip(("target", "evaluator", "measured",
                                                                          "verdict"), t)) for t in tg]}, f, indent=1)
    with open(os.path.join(a.out_dir, "RESULTS.md"), "w", encoding="utf-8") as f:
        f.write(render(rows, tg, a.command, created, a.note, agree))
    kind = write_png(rows, os.path.join(a.out_dir, "RESULTS.png"))
    print(f"RESULTS.md, RESULTS.json, RESULTS.png ({kind}) in {a.out_dir}: {len(rows)} rows, "
          f"{sum('met' in t[3] and 'not' not in t[3] for t in tg)}/{len(tg)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
