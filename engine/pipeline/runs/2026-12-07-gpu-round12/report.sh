#!/usr/bin/env bash
# RESULTS.md/json/png for the pair shipped by round 9 (2026-12-06), on the pinned held-out sets: round 9's replies,
# and the hand-written set (60 probes since 2026-12-07) answered here; round 10's two models and round 12's dense-long,
# trained and not shipped, as candidate rows (a model's perplexity is from its last llama.cpp file: 4-window runs
# come after the 1-window hand-written ones)
# (run from anywhere; unpack the sets first: /usr/bin/python3 -m engine.pipeline.tasks.heldout).
cd "$(dirname "$0")/../../../.."   # the repository root
R=engine/pipeline/runs/2026-12-06-gpu-round9; H=engine/pipeline/runs/2026-12-07-gpu-round10; L=engine/pipeline/runs/2026-12-07-gpu-round12
NOTE="The shipped pair (round 9, 2026-12-06): dense = dense.gguf (assets/models/dense.gguf, the round-8 dense, unchanged), keep 1/8 = keep1-more.gguf (assets/models/recurformer.gguf), same bytes. Every row answered the pinned held-out sets (engine/pipeline/heldout-sets.tar.xz; each replies file records their fingerprints and results.py checks them). Earlier rounds' replies answered an earlier generation of these sets (Debian's packages changed since) and are not re-scored here: their tables stay in their rounds' READMEs (engine/pipeline/runs/). PyTorch: the reference on one H200, run from the shipped Q8_0 files, 50 samples per cell (20 at 16k, 100 plain questions). llama.cpp: the patched engine on a 2-core CPU, the same samples for every model (doc-QA and 1-hop at 1k/4k/16k: 50/20/10). Perplexity: PyTorch uses 16 windows of 1,024 tokens, llama.cpp 4, so compare ratios within one evaluator. Candidates of round 10 (2026-12-07, not shipped): dense-new = the shipped dense tuned 7 more minutes with the rows about real sentences (tasks/prose_qa.py), keep1-new = the shipped keep 1/8 converted 8 more minutes against dense-new; both answer 2 of the 60 hand-written probes, fewer than the shipped pair (PyTorch rows: one H100, the quick sets only; runs/2026-12-07-gpu-round10/README.md). Candidate of round 12 (2026-12-07, not shipped): dense-long = the shipped dense tuned 7 more minutes on rows of 16,384 tokens whose task rows half open with a document of 7,400-12,500 approximate tokens (stages/taskdata.py long rows): more right at 8k and 16k, fewer at 1k (runs/2026-12-07-gpu-round12/README.md)."
/usr/bin/python3 -m engine.pipeline.results \
  --torch $R/replies-dense.json,$R/replies-keep1-more-q8.json,$H/replies-dense-new-quick.json,$H/replies-keep1-new-quick.json,$L/replies-dense-long.json \
  --llama $H/replies-llama-hand.json,$R/replies-llama-dense.json,$R/replies-llama-keep1-more.json,$R/replies-llama-keep1-more-q8_0-pyramid.json,$H/replies-llama-hand-dense-new.json,$H/replies-llama-hand-keep1-new.json,$H/replies-llama-keep1-new.json,$L/replies-llama-hand-dense-long.json,$L/replies-llama-dense-long.json \
  --candidate dense-new.Q8_0.gguf,keep1-new.Q8_0.gguf,dense-new.gguf,keep1-new.gguf,dense-long.Q8_0.gguf,dense-long.gguf \
  --note "$NOTE" \
  --command "GPU, 2026-12-06 round 9: $R/stage-data.sh, then N=1 and N=2 $R/continue.sh (the conversion), evaluate_torch on both shipped GGUFs ($R/README.md)" \
  --command "CPU, llama.cpp: the evaluate.mjs commands in $R/README.md" \
  --command "CPU, llama.cpp, the 60 hand-written probes: the evaluate.mjs command in $H/README.md" \
  --command "GPU, 2026-12-07 round 10 (candidates): MIN=7 $H/tune.sh, then MIN=8 $H/convert.sh; CPU, llama.cpp: the evaluate.mjs commands in $H/README.md" \
  --command "GPU, 2026-12-07 round 12 (candidate): MIN=7 $L/long.sh; CPU, llama.cpp: the evaluate.mjs command in $L/README.md" \
  --command "report: $L/report.sh"
