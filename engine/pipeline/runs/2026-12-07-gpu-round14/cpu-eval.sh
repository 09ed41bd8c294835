#!/usr/bin/env bash
# Round 14 on the CPU (llama.cpp, the patched engine, 2 cores): the new keep 1/8 (keep1-lr6-talk, joined from the GPU
# call's parts: cat keep1-lr6-talk.Q8_0.gguf.part* > /work/keep1-lr6-talk.gguf) on the pinned held-out sets with
# round 9's sample counts, the 60 hand-written probes in 2k of hay and alone, and with a q8_0 cache and PyramidInfer.
# Its teacher dense-long-lr6 was measured by round 13 (runs/2026-12-07-gpu-round13/cpu-eval.sh). 15 minutes on 2 cores.
# Another keep 1/8: K=its GGUF, N=its name in the files' names, R=the folder they go to (round 15 does).
set -euo pipefail
cd "$(dirname "$0")/../../../.."
R=${R:-engine/pipeline/runs/2026-12-07-gpu-round14}; K=${K:-/work/keep1-lr6-talk.gguf}; N=${N:-keep1-lr6-talk}
S=docqa_1k=50,hop1_1k=50,docqa_4k=20,hop1_4k=20,docqa_16k=10
ev() { node engine/pipeline/evaluate.mjs --no-report "$@"; }
ev --samples hop2_1k=20,facts=100,open=50 --ppl-windows 4 --out $R/replies-llama-$N-chat.json --models $K
ev --samples $S --ppl-windows 1 --out $R/replies-llama-$N-docs.json --models $K
/usr/bin/python3 engine/pipeline/runs/2026-12-07-gpu-round10/hand_alone.py make /tmp/alone
ev --samples docqa_hand_2k=60 --ppl-windows 1 --out $R/replies-llama-hand.json --models $K
ev --heldout /tmp/alone --samples docqa_hand_2k=60 --ppl-windows 1 --out $R/replies-llama-hand-alone.json --models $K
ev --samples $S --ppl-windows 4 --out $R/replies-llama-$N-q8_0-pyramid.json \
  --models "$K@q8_0,$K@pyramid:r0=0.8,decay=0.7"
