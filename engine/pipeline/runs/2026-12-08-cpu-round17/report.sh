#!/usr/bin/env bash
# RESULTS.md/json/png for the pair shipped by round 17 (2026-12-08): dense = dense-long-lr6 (round 13's tune, unchanged),
# keep 1/8 = keep1-cpu-mixed (this round), measured through llama.cpp on the pinned held-out sets (doc-QA 1k-8k, 1-hop
# and 2-hop 4k at 50 samples, 16k at 20, 2-hop 1k at 20), with the keep 1/8 shipped before (round 15's keep1-lr6-cpu)
# and round 13's keep1-lr6 (a candidate) beside them. The new keep 1/8 has no PyTorch row: no GPU machine came.
# (run from anywhere; unpack the sets first: /usr/bin/python3 -m engine.pipeline.tasks.heldout)
cd "$(dirname "$0")/../../../.."   # the repository root
R=engine/pipeline/runs/2026-12-07-gpu-round13; F=engine/pipeline/runs/2026-12-07-cpu-round15
G=engine/pipeline/runs/2026-12-08-cpu-round17
NOTE="The shipped pair (round 17, 2026-12-08): dense = dense-long-lr6.gguf (assets/models/dense.gguf: the round 9 dense tuned 6 more minutes on rows of 16,384 tokens at 6e-5, round 13), keep 1/8 = keep1-cpu-mixed.gguf (assets/models/recurformer.gguf: round 13's keep1-lr6, converted against that dense for 7 minutes on one H100, then 64 steps on 2 CPU cores of task rows (round 15) and 64 more of mixed batches, half plain-text KL (round 17)), same bytes. llama.cpp: the patched engine on a 2-core CPU, the same samples for every model. The new keep 1/8 has no PyTorch row (no GPU machine came in rounds 15-17); the dense's PyTorch row (label dense-long-lr6) covers the quick sets. Set aside: the keep 1/8 shipped before (keep1-lr6-cpu, round 15) and keep1-lr6 (round 13, the parent of both; both evaluators). Every row answered the pinned held-out sets (engine/pipeline/heldout-sets.tar.xz; each replies file records their fingerprints and results.py checks them). Perplexity: PyTorch uses 16 windows of 1,024 tokens, llama.cpp 4, so compare ratios within one evaluator."
/usr/bin/python3 -m engine.pipeline.results \
  --torch $R/replies-dense-long-lr6.json,$R/replies-keep1-lr6.json \
  --llama $R/replies-llama-hand.json,$F/replies-llama-hand.json,$G/replies-llama-hand.json,$R/replies-llama-dense-long-lr6.json,$R/replies-llama-keep1-lr6.json,$F/replies-llama-keep1-lr6-cpu-docs.json,$F/replies-llama-keep1-lr6-cpu-chat.json,$F/replies-llama-long.json,$G/replies-llama-keep1-cpu-mixed-docs.json,$G/replies-llama-long.json,$G/replies-llama-keep1-cpu-mixed-chat.json,$G/replies-llama-keep1-cpu-mixed-q8_0-pyramid.json \
  --previous keep1-lr6-cpu.gguf \
  --candidate $R/replies-keep1-lr6.json,keep1-lr6.gguf \
  --note "$NOTE" \
  --command "shipped pair, CPU, llama.cpp: $R/cpu-eval.sh (dense-long-lr6), K=/work/keep1-cpu-mixed.gguf N=keep1-cpu-mixed R=$G engine/pipeline/runs/2026-12-07-gpu-round14/cpu-eval.sh, $F/cpu-eval-long.sh (dense-long-lr6; R=$G MODELS=/work/keep1-cpu-mixed.gguf for the new keep 1/8: 4k-16k at the issue's counts)" \
  --command "keep1-cpu-mixed: GPU, 2026-12-07 round 13, the two calls in $R/README.md; then CPU, $F/convert-cpu.sh (round 15), then the same script with round 17's settings ($G/README.md)" \
  --command "report: $G/report.sh"
