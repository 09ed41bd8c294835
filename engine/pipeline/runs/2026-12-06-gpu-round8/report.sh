#!/usr/bin/env bash
# RESULTS.md/json/png for the pair shipped 2026-12-06 (round 8), beside the pair before it and its frontier
# (run from anywhere; needs the held-out sets in engine/pipeline/build/heldout: python3 -m engine.pipeline.tasks.heldout).
cd "$(dirname "$0")/../../../.."   # the repository root
P=engine/pipeline/runs; R=$P/2026-12-06-gpu-round8
NOTE="The shipped pair (2026-12-06): dense = recurformer-desktop-dense.Q8_0.gguf (assets/models/dense.gguf), keep 1/8 = keep1-alone.Q8_0.gguf (assets/models/recurformer.gguf), same bytes. PyTorch: the reference on the GPU (H100), 50 samples per cell (20 at 16k, 100 plain questions): the shipped dense as its checkpoint; the keep 1/8 conversions of it that ran three at once beside its evaluation (mixed 7 min, and the ablation: mixed and task rows only, 3.5 min each) are candidates, not shipped; the shipped keep 1/8 ran alone afterwards (3.4 min, H200) and was measured through llama.cpp only. Previous pair: the pair shipped 2026-12-05 and the frontier measured on it (keep 2/8, 4/8, BASED, q8_0 caches, PyramidInfer; engine/pipeline/runs/2026-12-06-cpu and 2026-12-06-gpu-cpu), PyTorch rows from engine/pipeline/runs/2026-12-05-h100. llama.cpp: the patched engine on a 2-core CPU, Q8_0 files, the same samples for every model (doc-QA and 1-hop at 1k/4k/16k: the frontier samples). Perplexity: PyTorch uses 16 windows of 1,024 tokens, llama.cpp 4, so compare ratios within one evaluator."
/usr/bin/python3 -m engine.pipeline.results \
  --torch $P/2026-12-05-h100/replies-dense.json,$P/2026-12-05-h100/replies-keep1-mixed.json,$R/replies-dense.json,$R/replies-keep1-mixed.json,$R/replies-keep1-mixed-short.json,$R/replies-keep1-taskonly-short.json \
  --llama $P/2026-12-05-h100/replies-llama.json,$P/2026-12-06-cpu/replies-llama-dense.json,$P/2026-12-06-cpu/replies-llama-rf-pyramid.json,$P/2026-12-06-cpu/replies-llama-dense-q8_0.json,$P/2026-12-06-gpu-cpu/replies-llama-keep-based.json,$R/replies-llama-round8.json,$R/replies-llama-dense-chat.json,$R/replies-llama-keep1-alone.json,$R/replies-llama-keep1-alone-q8_0-pyramid.json \
  --exclude prev-dense.gguf,prev-rf.gguf \
  --previous $P/2026-12-05-h100/replies-dense.json,$P/2026-12-05-h100/replies-keep1-mixed.json,dense.gguf,recurformer.gguf,recurformer-desktop-keep2-mixed.Q8_0.gguf,recurformer-desktop-keep4-mixed.Q8_0.gguf,recurformer-desktop-based-w64-d16.Q8_0.gguf,recurformer-desktop-based-w256-d16.Q8_0.gguf \
  --candidate $R/replies-keep1-mixed.json,$R/replies-keep1-mixed-short.json,$R/replies-keep1-taskonly-short.json,recurformer-desktop-keep1-mixed.Q8_0.gguf \
  --note "$NOTE" \
  --command "GPU, 2026-12-06 round 8: $R/round.sh (tuning, head analysis, three keep 1/8 conversions, export, evaluate_torch), then $R/convert-alone.sh (the shipped keep 1/8)" \
  --command "CPU, llama.cpp, 2026-12-06: the evaluate.mjs commands in $R/README.md" \
  --command "previous pair: engine/pipeline/runs/2026-12-05-h100/round.sh, engine/pipeline/runs/2026-12-06-cpu/README.md, engine/pipeline/runs/2026-12-06-gpu-cpu/README.md" \
  --command "report: $R/report.sh"
