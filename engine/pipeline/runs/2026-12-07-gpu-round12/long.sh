#!/usr/bin/env bash
# GPU round 12 (issue 13): the shipped dense tuned MIN minutes on task rows of SEQ tokens; at 16,384 half of the task
# rows open with one document of 7,400-12,500 approximate tokens (stages/taskdata.py's long rows: until now no
# training row held a fact more than ~7,000 tokens back, and the dense answers 0 of 20 at 16k). ARMS (NAME:SEQ:LR,
# or NAME:SEQ:LR:MIX with MIX as tasktune's --task-mix, e.g. doc_prose=0; space-separated) train side by side on
# the one GPU, 65,536 tokens a step each. Back: each arm's Q8_0 file in 16 MB
# parts, and small.tar.gz of each arm's log, sums and PyTorch replies on the pinned sets that RESULTS.md scores the
# shipped dense on (SETS; at most 8 files come back from a call: call 1, one arm, brought them as plain files).
# Checkpoints stay in .device/work for a next call on the same warm machine. BATCH, WORKERS, LIMIT make a CPU dry
# run small.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
export PYTHONUNBUFFERED=1 GGUF_PY=$PWD/node_modules/node-llama-cpp/llama/llama.cpp/gguf-py
B=engine/pipeline/build; W=.device/work; T=$B/tokenizer/tokenizer.json; S=$OUT/small; mkdir -p $W $S
ARMS=${ARMS:-"dense-long:16384:2e-4"}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null
python3 -m engine.pipeline.tasks.heldout | tail -1
python3 -m engine.pipeline.stages.textshards tokenize --text $B/taskdata/text.txt.xz --tokenizer $T --out $W/shards 2>&1 | tail -1
for arm in $ARMS; do
    IFS=: read -r N SEQ LR MIX <<< "$arm"
    python3 -m engine.pipeline.stages.tasktune --init assets/models/dense.gguf --data $W/shards --tokenizer $T \
        --paragraphs $B/taskdata/skills.json.xz --out $W/$N --seq-len $SEQ --batch ${BATCH:-$((65536 / SEQ))} \
        --minutes ${MIN:-6.5} --lr $LR --workers ${WORKERS:-14} ${MIX:+--task-mix $MIX} > $S/tune-$N.log 2>&1 &
done
wait
for arm in $ARMS; do
    N=${arm%%:*}
    echo "$N: $(grep -v '^step' $S/tune-$N.log | tail -1)"; grep "^step" $S/tune-$N.log | tail -1
    B=$B W=$W T=$T engine/pipeline/runs/2026-12-07-gpu-round12/export_check.sh $N $W/$N $S
done
tar -czf $OUT/small.tar.gz -C $S . && rm -r $S
