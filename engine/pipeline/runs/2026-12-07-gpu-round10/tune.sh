#!/usr/bin/env bash
# GPU round 10, call 1 (issue 13): the shipped dense tuned on the new rows (tasks/prose_qa.py's questions of real
# sentences, tasks/events.py's side clauses) for MIN minutes; its Q8_0 file back in 16 MB parts; a quick PyTorch
# check of it and of the shipped dense on the hand-written set and two pinned sets. The tuned checkpoint stays
# in .device/work on the warm machine as call 2's teacher. NAME (default dense-new) names the outputs; TASK_MIX,
# if set, replaces weights of the task mix (the control of call 3: TASK_MIX=doc_prose=0 NAME=dense-noprose).
set -uo pipefail
cd "$(dirname "$0")/../../../.."
export PYTHONUNBUFFERED=1 GGUF_PY=$PWD/node_modules/node-llama-cpp/llama/llama.cpp/gguf-py
N=${NAME:-dense-new}; B=engine/pipeline/build; W=.device/work; T=$B/tokenizer/tokenizer.json; mkdir -p $W
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -m engine.pipeline.tasks.heldout | tail -1
python3 -m engine.pipeline.stages.textshards tokenize --text $B/taskdata/text.txt.xz --tokenizer $T --out $W/shards 2>&1 | tail -1
python3 -m engine.pipeline.stages.tasktune --init assets/models/dense.gguf --data $W/shards --tokenizer $T \
    --paragraphs $B/taskdata/skills.json.xz --out $W/$N --seq-len 8192 --batch 8 --minutes ${MIN:-7.3} --lr 3e-4 ${TASK_MIX:+--task-mix $TASK_MIX} \
    > $OUT/tune-$N.log 2>&1
grep -v "^step" $OUT/tune-$N.log | tail -5; grep "^step" $OUT/tune-$N.log | tail -2
python3 -m engine.pipeline.stages.export --model $W/$N --tokenizer $T --out $W/$N.Q8_0.gguf 2>&1 | tail -1
(cd $W && split -b 16000000 -d -a 1 $N.Q8_0.gguf $OUT/$N.Q8_0.gguf.part && sha256sum $N.Q8_0.gguf | tee $OUT/sums-$N.txt)
S=${SETS:-docqa_hand_2k,docqa_1k,hop1_1k}
for m in $N:$W/$N.Q8_0.gguf dense-shipped:assets/models/dense.gguf; do
    python3 -m engine.pipeline.stages.evaluate_torch --model ${m#*:} --label ${m%%:*} --tokenizer $T \
        --heldout $B/heldout --out $OUT/replies-${m%%:*}-quick.json --sets $S 2>&1 | grep -v "^  " | tail -6
done
