#!/usr/bin/env bash
# GPU round 10, call 2 (issue 13): the shipped keep 1/8 (carried as the ignored .device/student.gguf; the tracked
# dense.gguf stays behind so that the call fits 64 MiB) converted further against the tuned dense TEACHER that the
# call before made (its checkpoint in .device/work on the same warm machine: tune.sh's dense-new, or an arm of
# ablation.sh): stage 2 on mixed batches of the new rows, one schedule of MIN minutes; its Q8_0 file (NAME) back in
# 16 MB parts and a quick PyTorch check like the tune's.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
export PYTHONUNBUFFERED=1 GGUF_PY=$PWD/node_modules/node-llama-cpp/llama/llama.cpp/gguf-py
B=engine/pipeline/build; W=.device/work; T=$B/tokenizer/tokenizer.json; TEACHER=${TEACHER:-dense-new}; N=${NAME:-keep1-new}
sha256sum .device/student.gguf; ls $W
python3 -m engine.pipeline.stages.convert --dense $W/$TEACHER --student .device/student.gguf \
    --data $W/shards --out $W/rf --seq-len 8192 --batch 4 --stage2-steps 0 --minutes ${MIN:-8} \
    --plan-minutes ${MIN:-8} --paragraphs $B/taskdata/skills.json.xz --tokenizer $T \
    --answer-weight 1 --stage2-lr 2e-4 --workers 6 --task-every 2 > $OUT/convert.log 2>&1
grep -v "^step" $OUT/convert.log | tail -5; grep "^step" $OUT/convert.log | tail -2
python3 -m engine.pipeline.stages.export --model $W/rf --tokenizer $T --out $W/$N.Q8_0.gguf 2>&1 | tail -1
(cd $W && split -b 16000000 -d -a 1 $N.Q8_0.gguf $OUT/$N.Q8_0.gguf.part && sha256sum $N.Q8_0.gguf | tee $OUT/sums-$N.txt)
python3 -m engine.pipeline.stages.evaluate_torch --model $W/$N.Q8_0.gguf --label $N --tokenizer $T \
    --heldout $B/heldout --out $OUT/replies-$N-quick.json --sets docqa_hand_2k,docqa_1k,hop1_1k 2>&1 | grep -v "^  " | tail -6
