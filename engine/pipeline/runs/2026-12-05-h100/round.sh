#!/usr/bin/env bash
# One GPU round (issue 13, 2026-12-05): retune the shipped dense on the composed skill rows, convert keep 1/8,
# export, evaluate with the PyTorch reference. Runs in the background of one warm machine; poll.sh watches it.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 GGUF_PY=$PWD/node_modules/node-llama-cpp/llama/llama.cpp/gguf-py
W=/tmp/r/w; O=/tmp/r/o; mkdir -p $W $O; tar xJf .device/heldout.tar.xz -C /tmp/r
B=engine/pipeline/build
common="TOKENIZER=$B/tokenizer/tokenizer.json PARAGRAPHS=$B/taskdata/skills.json.xz TEXT=$B/taskdata/text.txt.xz HELDOUT=/tmp/r/heldout DATA=/tmp/r/shards"
ev() { python3 -m engine.pipeline.stages.evaluate_torch --model "$2" --label "$1" --tokenizer $B/tokenizer/tokenizer.json \
        --heldout /tmp/r/heldout --out $O/replies-$1.json; }
env $common FROM=assets/models/dense.gguf STAGES="tasktune analyze" TASK_MIN=${TASK_MIN:-9} \
    engine/pipeline/train_default_pair.sh $W $O
( ev dense $W/dense; ev dense-start assets/models/dense.gguf ) > $O/eval-dense.log 2>&1 &
env $common DENSE=$W/dense STAGES="convert export" CONVERT_MIN=${CONVERT_MIN:-7} engine/pipeline/train_default_pair.sh $W $O
wait
ev keep1-mixed $W/rf-keep1-mixed > $O/eval-keep1.log 2>&1
echo ROUND-DONE
