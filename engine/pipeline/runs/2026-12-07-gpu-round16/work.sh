#!/usr/bin/env bash
# GPU round 16, the background job arms.sh starts: ARMS (NAME:LR:MIX, MIX as convert's --task-mix, space-separated)
# convert the student (.device/student.gguf) MIN minutes each against the teacher (.device/teacher.gguf), side by side
# on the one GPU: stage 2 from the file's weights, mixed batches (every 2nd plain-text KL, the others task rows with
# the composed greetings and requests), rows of 16,384, LR cosine to a tenth. Meanwhile PyTorch answers every pinned
# set with the teacher (labelled "dense", as results.py judges a shipped dense) and the student (the shipped keep
# 1/8, which has no PyTorch row yet; labelled STUDENT, its file's name). Then each arm's Q8_0 export and PyTorch
# replies on every set (round 12's export_check.sh). What comes back waits in .device/work/back (each model's Q8_0
# file in 16 MB parts, small.tar.gz of logs, sums and replies) beside a DONE file. BATCH, SEQ, WORKERS, SETS, LIMIT
# make a CPU dry run small.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
export PYTHONUNBUFFERED=1 GGUF_PY=$PWD/node_modules/node-llama-cpp/llama/llama.cpp/gguf-py
B=engine/pipeline/build; W=.device/work; T=$B/tokenizer/tokenizer.json; S=$PWD/$W/small; OUT=$PWD/$W/back
rm -rf $S $OUT; mkdir -p $S $OUT
ARMS=${ARMS:-"keep1-gpu-a:1e-4:doc_prose=0 keep1-gpu-b:1e-4:doc_prose=0,hop=7,hop_raw=2"}
ALL=docqa_1k,docqa_4k,docqa_8k,docqa_16k,hop1_1k,hop1_4k,hop2_1k,hop2_4k,facts,open,docqa_hand_2k
torch_eval() {   # GGUF LABEL
    python3 -m engine.pipeline.stages.evaluate_torch --model $1 --label $2 --tokenizer $T --heldout $B/heldout \
        --out $S/replies-$2.json --sets ${SETS:-$ALL} --limit ${LIMIT:-0} > $S/eval-$2.log 2>&1
}
for arm in $ARMS; do
    IFS=: read -r N LR MIX <<< "$arm"
    python3 -m engine.pipeline.stages.convert --dense .device/teacher.gguf --student .device/student.gguf \
        --data $W/shards --out $W/$N --seq-len ${SEQ:-16384} --batch ${BATCH:-2} --stage2-steps 0 --minutes ${MIN:-8} \
        --plan-minutes ${MIN:-8} --paragraphs $B/taskdata/skills.json.xz --tokenizer $T --answer-weight 1 \
        --stage2-lr $LR --workers ${WORKERS:-6} --task-every 2 ${MIX:+--task-mix $MIX} > $S/convert-$N.log 2>&1 &
done
torch_eval .device/teacher.gguf dense &
torch_eval .device/student.gguf ${STUDENT:-keep1-cpu-mixed} &
wait
for arm in $ARMS; do
    N=${arm%%:*}
    echo "$N: $(grep -v '^step' $S/convert-$N.log | tail -1)"; grep "^step" $S/convert-$N.log | tail -1
    SETS=${SETS:-$ALL} B=$B W=$W T=$T OUT=$OUT engine/pipeline/runs/2026-12-07-gpu-round12/export_check.sh $N $W/$N $S \
        > $S/export-$N.log 2>&1 &
done
wait
cat $S/sums-*.txt
tar -czf $OUT/small.tar.gz -C $S . && touch $OUT/DONE
