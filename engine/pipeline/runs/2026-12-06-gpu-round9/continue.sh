#!/usr/bin/env bash
# GPU round 9, calls 2 and 3 (issue 13): the shipped keep 1/8 converted further, alone on the GPU, against
# the shipped dense: stage 2 (every weight) on mixed batches, one schedule planned for PLAN minutes in all and
# run as two time boxes of MIN minutes (the second call resumes the same --out on the same warm machine).
# Each call exports the model as it stands, in 16 MB parts: the first call's is the fallback should the
# machine go back between calls.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
export PYTHONUNBUFFERED=1 GGUF_PY=$PWD/node_modules/node-llama-cpp/llama/llama.cpp/gguf-py
B=engine/pipeline/build; W=.device/work; N=${N:-1}
python3 -m engine.pipeline.stages.convert --dense assets/models/dense.gguf --student .device/student.gguf \
    --data $W/shards --out $W/rf --seq-len 8192 --batch 4 --stage2-steps 0 --minutes ${MIN:-8.5} \
    --plan-minutes ${PLAN:-16.5} --paragraphs $B/taskdata/skills.json.xz --tokenizer $B/tokenizer/tokenizer.json \
    --answer-weight 1 --stage2-lr 2e-4 --workers 6 --task-every 2 > $OUT/continue-$N.log 2>&1
grep -v "^step" $OUT/continue-$N.log; grep "^step" $OUT/continue-$N.log | tail -2
python3 -m engine.pipeline.stages.export --model $W/rf --tokenizer $B/tokenizer/tokenizer.json \
    --out $W/keep1-more-$N.Q8_0.gguf 2>&1 | tail -2
cd $W && split -b 16000000 -d -a 1 keep1-more-$N.Q8_0.gguf $OUT/keep1-more-$N.Q8_0.gguf.part &&
    sha256sum keep1-more-$N.Q8_0.gguf > $OUT/sums-$N.txt && cat $OUT/sums-$N.txt
