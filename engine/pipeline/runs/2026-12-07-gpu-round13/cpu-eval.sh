#!/usr/bin/env bash
# Round 13 on the CPU (llama.cpp, the patched engine, 2 cores): the pair the GPU calls made, on the pinned held-out
# sets with round 9's sample counts, the 60 hand-written probes in 2k of hay and alone, the keep 1/8 with a q8_0 cache
# and with PyramidInfer, and dense-long-lr6p alone on the probes (does the subject shortcut come with the prose rows?).
# The models are the GPU calls' parts, joined: cat X.Q8_0.gguf.part* > /work/X.gguf. About 30 minutes.
set -euo pipefail
cd "$(dirname "$0")/../../../.."
R=engine/pipeline/runs/2026-12-07-gpu-round13; D=/work/dense-long-lr6.gguf; K=/work/keep1-lr6.gguf
S=docqa_1k=50,hop1_1k=50,docqa_4k=20,hop1_4k=20,docqa_16k=10
ev() { node engine/pipeline/evaluate.mjs --no-report "$@"; }
/usr/bin/python3 engine/pipeline/runs/2026-12-07-gpu-round10/hand_alone.py make /tmp/alone
ev --samples docqa_hand_2k=60 --ppl-windows 1 --out $R/replies-llama-hand.json --models $D,$K
ev --heldout /tmp/alone --samples docqa_hand_2k=60 --ppl-windows 1 --out $R/replies-llama-hand-alone.json \
  --models $D,$K,/work/dense-long-lr6p.gguf
ev --samples $S,hop2_1k=20,facts=100,open=50 --ppl-windows 4 --out $R/replies-llama-dense-long-lr6.json --models $D
ev --samples $S,hop2_1k=20,facts=100,open=50 --ppl-windows 4 --out $R/replies-llama-keep1-lr6.json --models $K
ev --samples $S --ppl-windows 4 --out $R/replies-llama-keep1-lr6-q8_0-pyramid.json \
  --models "$K@q8_0,$K@pyramid:r0=0.8,decay=0.7"
