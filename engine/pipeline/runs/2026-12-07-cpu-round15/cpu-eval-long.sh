#!/usr/bin/env bash
# Round 15 on the CPU (llama.cpp, 2 cores): the cells that round 13's and round 14's CPU runs left to the GPU
# reference, for the pair this round ships (dense-long-lr6, keep1-lr6-cpu), at the issue's sample counts: doc-QA at
# 4k and 8k 50 each, at 16k 20, HashHop 1-hop and 2-hop at 4k 50 each. The first 20 (4k) and 10 (16k) samples rerun
# round 13's and this round's: results.py counts the replies that differ (greedy on one build: none). ~25 minutes.
# Other models: MODELS=A.gguf[,B.gguf] into R=a run's folder (round 17 does).
set -euo pipefail
cd "$(dirname "$0")/../../../.."
R=${R:-engine/pipeline/runs/2026-12-07-cpu-round15}
node engine/pipeline/evaluate.mjs --no-report --samples docqa_4k=50,hop1_4k=50,docqa_8k=50,hop2_4k=50,docqa_16k=20 \
  --ppl-windows 1 --out $R/replies-llama-long.json --models ${MODELS:-/work/dense-long-lr6.gguf,/work/keep1-lr6-cpu.gguf}
