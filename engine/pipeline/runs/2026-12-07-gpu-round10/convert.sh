#!/usr/bin/env bash
# GPU round 10, call 2 (issue 13): the shipped keep 1/8 (carried as the ignored .device/student.gguf; the tracked
# dense.gguf stays behind so that the call fits 64 MiB) converted further against call 1's tuned dense (the
# checkpoint in .device/work on the same warm machine): stage 2 on mixed batches of the new rows, one schedule of
# MIN minutes; its Q8_0 file back in 16 MB parts and a quick PyTorch check like call 1's.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
export PYTHONUNBUFFERED=1 GGUF_PY=$PWD/node_modules/node-llama-cpp/llama/llama.cpp/gguf-py
B=engine/pipeline/build; W=.device/work; T=$B/tokenizer/tokenizer.json
sha256sum .device/student.gguf; ls $W
python3 -m engine.pipeline.stages.convert --dense $W/dense-new --student .device/student.gguf \
    --data $W/shards --out $W/rf --seq-len 8192 --batch 4 --stage2-steps 0 --minutes ${MIN:-8} \
    --plan-minutes ${MIN:-8} --paragraphs $B/taskdata/skills.json.xz --tokenizer $T \
    --answer-weight 1 --stage2-lr 2e-4 --workers 6 --task-every 2 > $OUT/convert.log 2>&1
grep -v "^step" $OUT/convert.log | tail -5; grep "^step" $OUT/convert.log | tail -2
python3 -m engine.pipeline.stages.export --model $W/rf --tokenizer $T --out $W/keep1-new.Q8_0.gguf 2>&1 | tail -1
(cd $W && split -b 16000000 -d -a 1 keep1-new.Q8_0.gguf $OUT/keep1-new.Q8_0.gguf.part && sha256sum keep1-new.Q8_0.gguf | tee $OUT/sums-keep1.txt)
python3 -m engine.pipeline.stages.evaluate_torch --model $W/keep1-new.Q8_0.gguf --label keep1-new --tokenizer $T \
    --heldout $B/heldout --out $OUT/replies-keep1-new-quick.json --sets docqa_hand_2k,docqa_1k,hop1_1k 2>&1 | grep -v "^  " | tail -6
