#!/usr/bin/env bash
# GPU round 8 (issue 13, 2026-12-06): skill tuning of the shipped dense on the grammar facts (tasks/events.py),
# composed HashHop shapes (tasks/hop_shapes.py) and 8,192-token rows; head analysis; keep 1/8 conversion on
# mixed batches for 7 min beside the ablation (mixed 3.5 min, then task-only 3.5 min); Q8_0 export;
# PyTorch evaluation of all of them on the held-out sets.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 GGUF_PY=$PWD/node_modules/node-llama-cpp/llama/llama.cpp/gguf-py
W=/tmp/r/w; O=/tmp/r/o; mkdir -p $W $O; tar xJf .device/heldout.tar.xz -C /tmp/r
B=engine/pipeline/build
common="TOKENIZER=$B/tokenizer/tokenizer.json PARAGRAPHS=$B/taskdata/skills.json.xz TEXT=$B/taskdata/text.txt.xz HELDOUT=/tmp/r/heldout DATA=/tmp/r/shards"
ev() { python3 -m engine.pipeline.stages.evaluate_torch --model "$2" --label "$1" --tokenizer $B/tokenizer/tokenizer.json \
        --heldout /tmp/r/heldout --out $O/replies-$1.json ${3:-}; }
conv() { # name minutes extra...
    local name=$1 min=$2; shift 2
    python3 -m engine.pipeline.stages.convert --dense $W/dense --recency $O/analysis/recency.json --keep 1 \
        --data /tmp/r/shards --out $W/rf-keep1-$name --seq-len 8192 --batch 4 --stage1-steps 0 --stage2-steps 0 \
        --minutes $min --paragraphs $B/taskdata/skills.json.xz --tokenizer $B/tokenizer/tokenizer.json \
        --answer-weight 1 --stage2-lr 2e-4 --stage1-share 0.35 --workers 6 "$@" > $O/convert-keep1-$name.log 2>&1; }
env $common FROM=assets/models/dense.gguf STAGES="tasktune analyze" TASK_MIN=${TASK_MIN:-9} SEQ=8192 BATCH=8 \
    engine/pipeline/train_default_pair.sh $W $O
echo "=== $(date +%T) convert (mixed 7 min | mixed-short 3.5 then taskonly-short 3.5), dense eval beside"
( ev dense $W/dense ) > $O/eval-dense.log 2>&1 &
conv mixed 7 --task-every 2 &
( conv mixed-short 3.5 --task-every 2; conv taskonly-short 3.5 --task-every 1 ) &
wait
echo "=== $(date +%T) export"
for m in dense rf-keep1-mixed; do
    python3 -m engine.pipeline.stages.export --model $W/$m --tokenizer $B/tokenizer/tokenizer.json \
        --out $O/recurformer-desktop-${m#rf-}.Q8_0.gguf
done
touch $O/EXPORT-DONE
echo "=== $(date +%T) evaluate"
ev keep1-mixed $W/rf-keep1-mixed > $O/eval-keep1.log 2>&1 &
S="--sets docqa_1k,docqa_4k,hop1_1k,hop2_1k"
( ev keep1-mixed-short $W/rf-keep1-mixed-short "$S"; ev keep1-taskonly-short $W/rf-keep1-taskonly-short "$S" ) > $O/eval-ablation.log 2>&1 &
wait
echo "=== $(date +%T) ROUND-DONE"; touch $O/ROUND-DONE
