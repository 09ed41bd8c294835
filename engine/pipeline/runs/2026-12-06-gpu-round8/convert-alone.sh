#!/usr/bin/env bash
# keep 1/8 of round 8's dense, mixed batches, alone on the GPU for 3.5 minutes; the GGUF back in parts.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 GGUF_PY=$PWD/node_modules/node-llama-cpp/llama/llama.cpp/gguf-py
B=engine/pipeline/build; W=/tmp/c; mkdir -p $W
python3 -m engine.pipeline.stages.textshards tokenize --text $B/taskdata/text.txt.xz --tokenizer $B/tokenizer/tokenizer.json --out $W/shards
python3 -m engine.pipeline.stages.convert --dense .device/dense-round8.gguf --recency engine/pipeline/runs/2026-12-06-gpu-round8/recency.json \
    --keep 1 --data $W/shards --out $W/rf --seq-len 8192 --batch 4 --stage1-steps 0 --stage2-steps 0 --minutes ${MIN:-3.5} \
    --paragraphs $B/taskdata/skills.json.xz --tokenizer $B/tokenizer/tokenizer.json --answer-weight 1 --stage2-lr 2e-4 \
    --stage1-share 0.35 --workers 6 --task-every 2 > $OUT/convert-keep1-alone.log 2>&1
grep -v "^step" $OUT/convert-keep1-alone.log; grep "^step" $OUT/convert-keep1-alone.log | tail -2
python3 -m engine.pipeline.stages.export --model $W/rf --tokenizer $B/tokenizer/tokenizer.json --out $W/keep1-alone.Q8_0.gguf
cd $W && split -b 16000000 -d -a 1 keep1-alone.Q8_0.gguf $OUT/keep1-alone.Q8_0.gguf.part && sha256sum keep1-alone.Q8_0.gguf > $OUT/sums.txt
