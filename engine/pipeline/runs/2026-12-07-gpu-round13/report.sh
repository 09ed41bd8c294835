#!/usr/bin/env bash
# RESULTS.md/json/png for the pair shipped by round 13 (2026-12-07), on the pinned held-out sets: this round's replies
# (PyTorch quick sets from the GPU calls, llama.cpp full sets from cpu-eval.sh); round 9's pair as the previous pair;
# round 12's dense-long (2e-4) and this round's dense-long-lr6p (prose rows) as candidates: with the shipped dense they
# are the rate and prose-row ablation of the long rows
# (run from anywhere; unpack the sets first: /usr/bin/python3 -m engine.pipeline.tasks.heldout).
cd "$(dirname "$0")/../../../.."   # the repository root
P=engine/pipeline/runs/2026-12-06-gpu-round9; H=engine/pipeline/runs/2026-12-07-gpu-round10
L=engine/pipeline/runs/2026-12-07-gpu-round12; R=engine/pipeline/runs/2026-12-07-gpu-round13
NOTE="The shipped pair (round 13, 2026-12-07): dense = dense-long-lr6 (assets/models/dense.gguf), the round-8 dense tuned 6 more minutes at 6e-5 on rows of 16,384 tokens whose task rows half open with one long document (stages/taskdata.py long rows; no rows about real sentences); keep 1/8 = keep1-lr6 (assets/models/recurformer.gguf), round 9's keep 1/8 converted 7 more minutes against it; same bytes. The previous pair (round 9, 2026-12-06): dense.gguf and keep1-more.gguf. Every row answered the pinned held-out sets (engine/pipeline/heldout-sets.tar.xz; each replies file records their fingerprints and results.py checks them). PyTorch: the reference on one H100 (the previous pair: one H200), run from the Q8_0 files, 50 samples per cell, 20 at 16k; the shipped pair's PyTorch rows cover doc-QA, 1-hop 1k and the hand-written set (the GPU calls' quick sets), its llama.cpp rows every set. llama.cpp: the patched engine on a 2-core CPU, the same samples for every model (doc-QA and 1-hop at 1k/4k/16k: 50/20/10). Perplexity: PyTorch uses 16 windows of 1,024 tokens, llama.cpp 4, so compare ratios within one evaluator. Candidates (not shipped): dense-long (round 12) = the same long rows at 2e-4, and dense-long-lr6p (round 13) = at 6e-5 with the rows about real sentences (runs/2026-12-07-gpu-round12/ and -round13/README.md)."
/usr/bin/python3 -m engine.pipeline.results \
  --torch $R/replies-dense-long-lr6.json,$R/replies-keep1-lr6.json,$P/replies-dense.json,$P/replies-keep1-more-q8.json,$L/replies-dense-long.json,$R/replies-dense-long-lr6p.json \
  --label $R/replies-dense-long-lr6.json=dense \
  --llama $R/replies-llama-hand.json,$R/replies-llama-dense-long-lr6.json,$R/replies-llama-keep1-lr6.json,$R/replies-llama-keep1-lr6-q8_0-pyramid.json,$H/replies-llama-hand.json,$P/replies-llama-dense.json,$P/replies-llama-keep1-more.json,$P/replies-llama-keep1-more-q8_0-pyramid.json,$L/replies-llama-hand-dense-long.json,$L/replies-llama-dense-long.json \
  --previous $P/replies-dense.json,$P/replies-keep1-more-q8.json,dense.gguf,keep1-more.gguf \
  --candidate dense-long.Q8_0.gguf,dense-long.gguf,dense-long-lr6p.Q8_0.gguf \
  --note "$NOTE" \
  --command "GPU, 2026-12-07 round 13: the two calls in $R/README.md (long.sh with two arms, then convert.sh against dense-long-lr6)" \
  --command "CPU, llama.cpp: $R/cpu-eval.sh" \
  --command "previous pair: GPU, 2026-12-06 round 9, $P/README.md; CPU, llama.cpp, the evaluate.mjs commands there and in $H/README.md (hand-written probes)" \
  --command "candidate dense-long: GPU, 2026-12-07 round 12, MIN=7 $L/long.sh; CPU, the evaluate.mjs commands in $L/README.md" \
  --command "report: $R/report.sh"
