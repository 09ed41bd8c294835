"""PyramidInfer parity: the patched llama.cpp (through the pyramid_eval tool) against the PyTorch reference
(engine/pipeline/recurformer/pyramid.py) on a test fixture, fed in the same chunks (one llama_decode = one
pyramid.forward call). Checks the positions each layer keeps at every selection and every token's logits.

usage (from the repository root): python3 engine/llama/pyramid_parity.py TOOL MODEL.gguf
       [--schedule r0=..,decay=..,recent=..,queries=..,every=..] [--tokens N] [--prefill-chunk B] [--decode K]
       [--tolerance 1e-4] [--tie 1e-3] [--flash]
TOOL: pyramid_eval (engine/llama/pyramid_eval.cpp) built against the patched tree (engine/llama/PYRAMID.md).
Passes when every kept set equals the reference's and the logits are within the tolerance; where a kept set differs
(F16 weights: near-ties), when the first difference swaps scores within --tie of each other and the logits match
the reference masked by the engine's own kept sets. Thinning must also move the reference's logits (the check
would not see a schedule that keeps everything).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from engine.pipeline.recurformer import pyramid                      # noqa: E402
from engine.pipeline.recurformer.gguf_load import load_gguf          # noqa: E402


def parse_schedule(text):
    kv = dict(item.split("=") for item in text.split(","))
    return pyramid.Schedule(r0=float(kv["r0"]), decay=float(kv["decay"]), recent=int(kv["recent"]),
                            queries=int(kv["queries"]), every=int(kv["every"]))


def engine(tool, gguf, tokens, chunks, schedule, n_ctx, n_ubatch, flash):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        stdin = " ".join(map(str, tokens)) + "\n" + " ".join(map(str, chunks)) + "\n"
        subprocess.run([tool, gguf, str(n_ctx), str(n_ubatch), schedule, "f32", "1" if flash else "0", out],
                       input=stdin, text=True, check=True, capture_output=True)
        logits = np.fromfile(out + ".logits", dtype=np.float32)
        kept = {}
        for line in open(out + ".kept"):
            n, il, *pos = map(int, line.split())
            kept.setdefault(n, {})[il] = pos
    return logits.reshape(len(tokens), -1), kept


def reference(model, tokens, chunks, schedule):
    """logits, kept positions per selection {n: {layer: positions}}, and each selection's scores per layer
    {n: {layer: {position: score}}} (the ranking pyramid.select used)"""
    toks = torch.tensor([tokens])
    state, out, at, scores = None, [], 0, []
    plain_select = pyramid.select

    def recording_select(sc, keep, recent, per_group):
        scores.append(sc[0].sum(dim=0))
        return plain_select(sc, keep, recent, per_group)

    pyramid.select = recording_select
    try:
        with torch.no_grad():
            for c in chunks:
                logits, state = pyramid.forward(model, toks[:, at:at + c], schedule, state)
                out.append(logits[0])
                at += c
    finally:
        pyramid.select = plain_select
    kept = {n: {il: p[0, 0].tolist() for il, p in enumerate(pos)} for n, pos in state.kept}
    L = len(model.layers)
    ranked = {}
    for k, (n, _) in enumerate(state.kept):
        before = state.kept[k - 1][1] if k else None
        for il in range(L):
            cached = (before[il][0, 0].tolist() if before else []) + list(range(state.kept[k - 1][0] if k else 0, n))
            ranked.setdefault(n, {})[il] = dict(zip(cached, scores[k * L + il].tolist()))
    return torch.cat(out).numpy(), kept, ranked


def engine_visibility(got_kept, selections, length, G):
    """pyramid.visibility of the engine's kept sets (the selections at the reference's points)"""
    L = len(got_kept[selections[0]])
    fake = pyramid.PyramidState(None, [torch.zeros(1, G[il], 1, dtype=torch.long) for il in range(L)], [], 0,
                                [(n, [torch.tensor(got_kept[n][il]).expand(1, G[il], -1) for il in range(L)])
                                 for n in selections])
    return pyramid.visibility(fake, length)


def tie_gap(got, want, scores):
    """relative score gap between what the engine kept and the reference dropped (and back): 0 = an exact tie"""
    swapped_in = set(got) - set(want)
    swapped_out = set(want) - set(got)
    top = max(scores.values())
    return max(abs(scores[a] - scores[b]) for a in swapped_in for b in swapped_out) / top


def row_error(got, want):
    return float((np.abs(got - want).max(axis=1) / np.abs(want).max(axis=1)).max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tool")
    ap.add_argument("gguf")
    ap.add_argument("--schedule", default="r0=0.7,decay=0.6,recent=8,queries=4,every=16")
    ap.add_argument("--tokens", type=int, default=120)
    ap.add_argument("--prefill-chunk", type=int, default=16)
    ap.add_argument("--decode", type=int, default=24)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    ap.add_argument("--tie", type=float, default=1e-3, help="largest relative score gap a differing choice may have")
    ap.add_argument("--flash", action="store_true")
    args = ap.parse_args()

    schedule = parse_schedule(args.schedule)
    model = load_gguf(args.gguf, dtype=torch.float64).eval()
    vocab = model.tok_embd.weight.shape[0]
    tokens = torch.randint(0, vocab, (args.tokens,), generator=torch.Generator().manual_seed(7)).tolist()
    prefill = args.tokens - args.decode
    chunks = [args.prefill_chunk] * (prefill // args.prefill_chunk) + ([prefill % args.prefill_chunk] if prefill % args.prefill_chunk else [])
    chunks += [1] * args.decode

    got, got_kept = engine(args.tool, args.gguf, tokens, chunks, args.schedule, max(512, -(-args.tokens // 256) * 256),
                               args.prefill_chunk, args.flash)
    want, want_kept, ranked = reference(model, tokens, chunks, schedule)

    differing = [(n, il) for n, layers in want_kept.items() for il, pos in layers.items() if got_kept[n][il] != pos]
    plain = row_error(want, reference(model, tokens, chunks, pyramid.Schedule(1.0, 1.0, 1, 1, 1))[0])
    name = f"{os.path.basename(args.gguf)} schedule {args.schedule} chunks {args.prefill_chunk}x{prefill // args.prefill_chunk}+1x{args.decode}"
    if not differing:
        err = row_error(got, want)
        print(f"{name}: selections {len(want_kept)}, kept sets all equal, logits error {err:.2e} "
              f"(tolerance {args.tolerance:g}; thinning moves the reference by {plain:.2e})")
        ok = err <= args.tolerance
    else:
        # near-ties: the first divergence must be a swap of (almost) equal scores; from there on the engine's own
        # kept sets define the reference (pyramid.masked_forward with their visibility)
        n0, il0 = differing[0]
        gap = tie_gap(got_kept[n0][il0], want_kept[n0][il0], ranked[n0][il0])
        G = [layer.attn.n_kv_head for layer in model.layers]
        masks = engine_visibility(got_kept, sorted(want_kept), len(tokens), G)
        with torch.no_grad():
            masked = pyramid.masked_forward(model, torch.tensor([tokens]), masks)[0].numpy()
        err = row_error(got, masked)
        print(f"{name}: selections {len(want_kept)}, first kept set differing at n={n0} layer {il0}, a swap of scores "
              f"{gap:.1e} apart (relative to the top score); logits against the reference masked by the engine's kept "
              f"sets: error {err:.2e} (tolerance {args.tolerance:g}; thinning moves the reference by {plain:.2e})")
        ok = gap <= args.tie and err <= args.tolerance
    ok = ok and plain > 10 * args.tolerance
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
