#!/usr/bin/env bash
# RESULTS.md/json/png for the pair shipped by round 9 (2026-12-06), on the pinned held-out sets: round 9's replies and
# the 60 hand-written probes' (round 10); as candidates, the long-row ablation of rounds 12 and 13: dense-long (2e-4),
# dense-long-lr6 (6e-5, no rows about real sentences) with keep1-lr6 converted against it, dense-long-lr6p (6e-5, with
# them). Round 10's candidates are in runs/2026-12-07-gpu-round10/README.md
# (run from anywhere; unpack the sets first: /usr/bin/python3 -m engine.pipeline.tasks.heldout).
cd "$(dirname "$0")/../../../.."   # the repository root
P=engine/pipeline/runs/2026-12-06-gpu-round9; H=engine/pipeline/runs/2026-12-07-gpu-round10
L=engine/pipeline/runs/2026-12-07-gpu-round12; R=engine/pipeline/runs/2026-12-07-gpu-round13
NOTE="The shipped pair (round 9, 2026-12-06): dense = dense.gguf (assets/models/dense.gguf, the round-8 dense), keep 1/8 = keep1-more.gguf (assets/models/recurformer.gguf), same bytes. Every row answered the pinned held-out sets (engine/pipeline/heldout-sets.tar.xz; each replies file records their fingerprints and results.py checks them). PyTorch: the reference run from the Q8_0 files (the shipped pair on one H200, the candidates on one H100), 50 samples per cell (20 at 16k, 100 plain questions); the candidates' PyTorch rows cover the quick sets (doc-QA, 1-hop 1k, hand-written). llama.cpp: the patched engine on a 2-core CPU, the same samples for every model (doc-QA and 1-hop at 1k/4k/16k: 50/20/10). Perplexity: PyTorch uses 16 windows of 1,024 tokens, llama.cpp 4, so compare ratios within one evaluator. Candidates, not shipped (the shipped dense tuned 6-7 more minutes on rows of 16,384 tokens whose task rows half open with one long document, stages/taskdata.py long rows): dense-long (round 12) at 2e-4; dense-long-lr6 (round 13) at 6e-5 without the rows about real sentences, and keep1-lr6, the shipped keep 1/8 converted 7 more minutes against it: better than the shipped pair on most cells, held back by the ship rule of runs/2026-12-07-gpu-round13/README.md (3 of the 20 held-out greetings and requests run to the token limit, 1 before); dense-long-lr6p (round 13) at 6e-5 with those rows."
/usr/bin/python3 -m engine.pipeline.results \
  --torch $P/replies-dense.json,$P/replies-keep1-more-q8.json,$L/replies-dense-long.json,$R/replies-dense-long-lr6.json,$R/replies-keep1-lr6.json,$R/replies-dense-long-lr6p.json \
  --llama $H/replies-llama-hand.json,$P/replies-llama-dense.json,$P/replies-llama-keep1-more.json,$P/replies-llama-keep1-more-q8_0-pyramid.json,$L/replies-llama-hand-dense-long.json,$L/replies-llama-dense-long.json,$R/replies-llama-hand.json,$R/replies-llama-dense-long-lr6.json,$R/replies-llama-keep1-lr6.json,$R/replies-llama-keep1-lr6-q8_0-pyramid.json \
  --candidate dense-long.Q8_0.gguf,dense-long.gguf,dense-long-lr6.Q8_0.gguf,dense-long-lr6.gguf,keep1-lr6.Q8_0.gguf,keep1-lr6.gguf,dense-long-lr6p.Q8_0.gguf \
  --note "$NOTE" \
  --command "GPU, 2026-12-06 round 9: $P/stage-data.sh, then N=1 and N=2 $P/continue.sh (the conversion), evaluate_torch on both shipped GGUFs ($P/README.md)" \
  --command "CPU, llama.cpp: the evaluate.mjs commands in $P/README.md; the 60 hand-written probes: the command in $H/README.md" \
  --command "candidate dense-long: GPU, 2026-12-07 round 12, MIN=7 $L/long.sh; CPU, the evaluate.mjs commands in $L/README.md" \
  --command "candidates dense-long-lr6, keep1-lr6, dense-long-lr6p: GPU, 2026-12-07 round 13, the two calls in $R/README.md; CPU, llama.cpp: $R/cpu-eval.sh" \
  --command "report: $R/report.sh"
