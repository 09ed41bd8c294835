#!/usr/bin/env bash
# RESULTS.md/json/png for the pair shipped by round 15 (2026-12-07): dense = dense-long-lr6 (round 13's tune),
# keep 1/8 = keep1-lr6-cpu (this round), measured through llama.cpp on the pinned held-out sets (doc-QA 1k-8k, 1-hop
# and 2-hop 4k at 50 samples, 16k at 20, 2-hop 1k at 20), with the pair shipped before (round 9) and round 13's
# keep1-lr6 (this keep's parent, a candidate) beside them. The new keep 1/8 has no PyTorch row: no GPU machine came.
# (run from anywhere; unpack the sets first: /usr/bin/python3 -m engine.pipeline.tasks.heldout)
cd "$(dirname "$0")/../../../.."   # the repository root
P=engine/pipeline/runs/2026-12-06-gpu-round9; H=engine/pipeline/runs/2026-12-07-gpu-round10
R=engine/pipeline/runs/2026-12-07-gpu-round13; F=engine/pipeline/runs/2026-12-07-cpu-round15
NOTE="The shipped pair (round 15, 2026-12-07): dense = dense-long-lr6.gguf (assets/models/dense.gguf: the round 9 dense tuned 6 more minutes on rows of 16,384 tokens at 6e-5, round 13), keep 1/8 = keep1-lr6-cpu.gguf (assets/models/recurformer.gguf: round 13's keep1-lr6, converted against that dense for 7 minutes on one H100, then 64 more steps on 2 CPU cores with the composed greetings and requests, round 15), same bytes. llama.cpp: the patched engine on a 2-core CPU, the same samples for every model. The new keep 1/8 has no PyTorch row (no GPU machine came in round 15); the new dense's PyTorch row (label dense-long-lr6) covers the quick sets. Set aside: the pair shipped before (round 9: dense.gguf, keep1-more.gguf, both evaluators) and keep1-lr6 (round 13, the new keep's parent). Every row answered the pinned held-out sets (engine/pipeline/heldout-sets.tar.xz; each replies file records their fingerprints and results.py checks them). Perplexity: PyTorch uses 16 windows of 1,024 tokens, llama.cpp 4, so compare ratios within one evaluator."
/usr/bin/python3 -m engine.pipeline.results \
  --torch $P/replies-dense.json,$P/replies-keep1-more-q8.json,$R/replies-dense-long-lr6.json,$R/replies-keep1-lr6.json \
  --llama $H/replies-llama-hand.json,$P/replies-llama-dense.json,$P/replies-llama-keep1-more.json,$P/replies-llama-keep1-more-q8_0-pyramid.json,$R/replies-llama-hand.json,$F/replies-llama-hand.json,$F/replies-llama-keep1-lr6-cpu-docs.json,$F/replies-llama-long.json,$R/replies-llama-dense-long-lr6.json,$R/replies-llama-keep1-lr6.json,$F/replies-llama-keep1-lr6-cpu-chat.json,$F/replies-llama-keep1-lr6-cpu-q8_0-pyramid.json \
  --previous $P/replies-dense.json,$P/replies-keep1-more-q8.json,dense.gguf,keep1-more.gguf \
  --candidate $R/replies-keep1-lr6.json,keep1-lr6.gguf \
  --note "$NOTE" \
  --command "shipped pair, CPU, llama.cpp: $R/cpu-eval.sh (dense-long-lr6), K=/work/keep1-lr6-cpu.gguf N=keep1-lr6-cpu R=$F engine/pipeline/runs/2026-12-07-gpu-round14/cpu-eval.sh, $F/cpu-eval-long.sh (both, 4k-16k at the issue's counts)" \
  --command "keep1-lr6-cpu: GPU, 2026-12-07 round 13, the two calls in $R/README.md; then CPU, $F/convert-cpu.sh" \
  --command "pair shipped before (round 9): GPU, $P/README.md (evaluate_torch on both GGUFs); CPU, the evaluate.mjs commands there; the 60 hand-written probes: $H/README.md" \
  --command "report: $F/report.sh"
