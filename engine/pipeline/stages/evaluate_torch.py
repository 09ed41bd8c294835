"""The held-out evaluation with the PyTorch reference (fast on a GPU): greedy replies to every sample of
tasks/heldout.py's sets and held-out perplexity, written as the same replies JSON that evaluate.mjs
(llama.cpp) writes, so results.py scores both alike and the two can be compared sample by sample.

    python -m engine.pipeline.stages.evaluate_torch --model M(.gguf or checkpoint) --label dense \
        --tokenizer tokenizer.json --heldout engine/pipeline/build/heldout --out replies-dense.json \
        [--sets docqa_1k,hop1_1k,...] [--limit 50]
"""
import argparse
import glob
import json
import math
import os
import time

import torch
import torch.nn.functional as Fn

from ..tasks import pinned, scoring
from ..tokenizer.pretrained import load_tokenizer
from ..tokenizer.special import ENDOFTEXT, IM_END
from . import checkpoint


def fast_encoder(path):
    """The `tokenizers` library's encoder of this tokenizer.json (same ids as tokenizer/bpe.py, many times
    faster), or None when the library is not installed."""
    try:
        from tokenizers import Tokenizer
    except ImportError:
        return None
    fast = Tokenizer.from_file(path)
    return lambda text: fast.encode(text, add_special_tokens=False).ids


@torch.no_grad()
def reply(model, prompt_ids, max_tokens, stop_ids, device):
    x = torch.tensor([prompt_ids], device=device)
    logits, state = model(x)
    out = []
    for _ in range(max_tokens):
        t = int(logits[0, -1].argmax())
        if t in stop_ids:
            return out, True
        out.append(t)
        logits, state = model(torch.tensor([[t]], device=device), state)
    return out, False


@torch.no_grad()
def perplexity(model, ids, window, device, windows=16):
    stride = max(1, (len(ids) - window - 1) // windows)
    nll, n = 0.0, 0
    for w in range(windows):
        seg = ids[w * stride: w * stride + window + 1]
        if len(seg) < window + 1:
            break
        x = torch.tensor([seg], device=device)
        logits, _ = model(x[:, :-1])
        nll += float(Fn.cross_entropy(logits[0].float(), x[0, 1:], reduction="sum"))
        n += window
    return math.exp(nll / n), n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--heldout", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--sets", default="", help="comma-separated set names (default: all)")
    ap.add_argument("--limit", type=int, default=0, help="samples per set (0: all)")
    ap.add_argument("--ppl-window", type=int, default=1024)
    ap.add_argument("--ppl-windows", type=int, default=16, help="windows spread through the text (evaluate.mjs: 4)")
    a = ap.parse_args(argv)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model, _ = checkpoint.load(a.model, device)
    model.eval()
    tok = load_tokenizer(a.tokenizer)
    encode = fast_encoder(a.tokenizer) or tok.encode
    bos = tok.encode(ENDOFTEXT)
    im_end = tok.encode(IM_END)[0]
    newline = set(i for i in range(tok.vocab_size) if "\n" in tok.decode([i]))
    names = a.sets.split(",") if a.sets else sorted(os.path.basename(p)[:-6] for p in
                                                    glob.glob(os.path.join(a.heldout, "*.jsonl")))
    result = {"label": a.label, "model": a.model, "evaluator": "pytorch", "sets": pinned.fingerprints(a.heldout),
              "replies": {}}
    t0 = time.time()
    for name in names:
        with open(os.path.join(a.heldout, name + ".jsonl"), encoding="utf-8") as f:
            rows = [json.loads(l) for l in f][: a.limit or None]
        for r in rows:
            raw = not r["prompt"].startswith("<|im_start|>")
            ids, ended = reply(model, bos + encode(r["prompt"]), r["max_tokens"],
                               newline | {im_end} if raw else {im_end}, device)
            result["replies"][r["id"]] = {"reply": tok.decode(ids), "ended": ended}
        sc = scoring.summarize(rows, result["replies"])
        right = f", {sc['correct']} right of {sc['graded']}" if sc["graded"] else ""
        print(f"{a.label} {name}: {len(rows)} samples{right}, {time.time() - t0:.0f}s", flush=True)
    with open(os.path.join(a.heldout, "heldout_text.txt"), encoding="utf-8") as f:
        ids = encode(f.read())
    ppl, n = perplexity(model, ids, a.ppl_window, device, a.ppl_windows)
    result["perplexity"] = {"value": ppl, "tokens": n, "window": a.ppl_window}
    print(f"{a.label} held-out perplexity {ppl:.3f} over {n} tokens", flush=True)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=0)


if __name__ == "__main__":
    main()
