#!/usr/bin/env bash
# GPU round 12, call 2 (issue 13): the shipped keep 1/8 (assets/models/recurformer.gguf; dense.gguf swapped out for a
# link so that the call fits 64 MiB) converted further against call 1's tuned dense (its checkpoint in .device/work
# on the same warm machine), stage 2 on mixed batches of rows of 16,384 tokens (the long rows too), one schedule of
# MIN minutes (TASK_MIX, if set, replaces weights of the task mix, as tasktune's). Back: its Q8_0 file in 16 MB
# parts, the log, sums and the PyTorch replies on the sets of call 1.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
export PYTHONUNBUFFERED=1 GGUF_PY=$PWD/node_modules/node-llama-cpp/llama/llama.cpp/gguf-py
B=engine/pipeline/build; W=.device/work; T=$B/tokenizer/tokenizer.json; TEACHER=${TEACHER:-dense-long}; N=${NAME:-keep1-long}
sha256sum assets/models/recurformer.gguf; ls $W
python3 -m engine.pipeline.stages.convert --dense $W/$TEACHER --student assets/models/recurformer.gguf \
    --data $W/shards --out $W/rf --seq-len ${SEQ:-16384} --batch ${BATCH:-2} --stage2-steps 0 --minutes ${MIN:-7} \
    --plan-minutes ${MIN:-7} --paragraphs $B/taskdata/skills.json.xz --tokenizer $T \
    --answer-weight 1 --stage2-lr 2e-4 --workers ${WORKERS:-14} --task-every 2 ${TASK_MIX:+--task-mix $TASK_MIX} \
    > $OUT/convert-$N.log 2>&1
grep -v "^step" $OUT/convert-$N.log | tail -3; grep "^step" $OUT/convert-$N.log | tail -1
B=$B W=$W T=$T engine/pipeline/runs/2026-12-07-gpu-round12/export_check.sh $N $W/rf $OUT
