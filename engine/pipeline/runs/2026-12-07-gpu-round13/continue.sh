#!/usr/bin/env bash
# Next round, call 2 of 2 (issue 13, planned in this round's README), within 30 s of student.sh on the same warm
# machine: the student converted MIN more minutes against the teacher carried as the ignored .device/teacher.gguf
# (this round's dense-long-lr6): stage 2, mixed batches (every 2nd plain-text KL, the others task rows without the
# rows about real sentences, whose greetings and requests tasks/small_talk.py now composes), rows of 16,384, LR
# cosine to a tenth. Back: NAME's Q8_0 file in 16 MB parts, the log, sums and PyTorch replies on every pinned set, and
# the teacher's (labelled "dense", as results.py judges a shipped dense) on every set too. BATCH, SEQ, WORKERS, SETS,
# LIMIT make a CPU dry run small.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
export PYTHONUNBUFFERED=1 GGUF_PY=$PWD/node_modules/node-llama-cpp/llama/llama.cpp/gguf-py
B=engine/pipeline/build; W=.device/work; T=$B/tokenizer/tokenizer.json; N=${NAME:-keep1-lr6-talk}
sha256sum .device/teacher.gguf .device/student.gguf; ls $W
python3 -m engine.pipeline.stages.convert --dense .device/teacher.gguf --student .device/student.gguf \
    --data $W/shards --out $W/$N --seq-len ${SEQ:-16384} --batch ${BATCH:-2} --stage2-steps 0 --minutes ${MIN:-4} \
    --plan-minutes ${MIN:-4} --paragraphs $B/taskdata/skills.json.xz --tokenizer $T --answer-weight 1 \
    --stage2-lr ${LR:-1e-4} --workers ${WORKERS:-14} --task-every 2 --task-mix doc_prose=0 > $OUT/convert-$N.log 2>&1
grep -v "^step" $OUT/convert-$N.log | tail -3; grep "^step" $OUT/convert-$N.log | tail -1
ALL=docqa_1k,docqa_4k,docqa_8k,docqa_16k,hop1_1k,hop1_4k,hop2_1k,hop2_4k,facts,open,docqa_hand_2k
SETS=${SETS:-$ALL} B=$B W=$W T=$T engine/pipeline/runs/2026-12-07-gpu-round12/export_check.sh $N $W/$N $OUT
python3 -m engine.pipeline.stages.evaluate_torch --model .device/teacher.gguf --label dense --tokenizer $T \
    --heldout $B/heldout --out $OUT/replies-dense.json --sets ${SETS:-$ALL} --limit ${LIMIT:-0} 2>&1 | grep -v "^  " | tail -12
