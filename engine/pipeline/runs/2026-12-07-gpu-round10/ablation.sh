#!/usr/bin/env bash
# The next round's first call (issue 13): arms of a task-tune ablation trained side by side on one GPU, so that
# they share its time and one machine start: each arm tunes the shipped dense for MIN minutes with its own task
# mix (ARMS: NAME:KIND=WEIGHT,..., space-separated; an empty mix is skills.TASK_MIX as it is). Back: each arm's
# Q8_0 file in 16 MB parts, and one small.tar.gz of logs, sums and the quick PyTorch check (SETS) of every arm and
# of the shipped dense: at most 8 files come back from a call. SEQ, BATCH, WORKERS, LIMIT make a CPU dry run small.
# tune.sh is this with one arm.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
export PYTHONUNBUFFERED=1 GGUF_PY=$PWD/node_modules/node-llama-cpp/llama/llama.cpp/gguf-py
B=engine/pipeline/build; W=.device/work; T=$B/tokenizer/tokenizer.json; S=$OUT/small; mkdir -p $W $S
ARMS=${ARMS:-"dense-crisp: dense-noprose:doc_prose=0"}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null
python3 -m engine.pipeline.tasks.heldout | tail -1
python3 -m engine.pipeline.stages.textshards tokenize --text $B/taskdata/text.txt.xz --tokenizer $T --out $W/shards 2>&1 | tail -1
for arm in $ARMS; do
    N=${arm%%:*}; M=${arm#*:}
    python3 -m engine.pipeline.stages.tasktune --init assets/models/dense.gguf --data $W/shards --tokenizer $T \
        --paragraphs $B/taskdata/skills.json.xz --out $W/$N --seq-len ${SEQ:-8192} --batch ${BATCH:-8} \
        --minutes ${MIN:-7} --lr 3e-4 --workers ${WORKERS:-6} ${M:+--task-mix $M} > $S/tune-$N.log 2>&1 &
done
wait
for arm in $ARMS; do
    N=${arm%%:*}
    echo "$N: $(grep -v '^step' $S/tune-$N.log | tail -1)"; grep "^step" $S/tune-$N.log | tail -1
    python3 -m engine.pipeline.stages.export --model $W/$N --tokenizer $T --out $W/$N.Q8_0.gguf 2>&1 | tail -1
    (cd $W && split -b 16000000 -d -a 1 $N.Q8_0.gguf $OUT/$N.Q8_0.gguf.part && sha256sum $N.Q8_0.gguf | tee $S/sums-$N.txt)
done
for m in $(for arm in $ARMS; do echo ${arm%%:*}:$W/${arm%%:*}.Q8_0.gguf; done) dense-shipped:assets/models/dense.gguf; do
    python3 -m engine.pipeline.stages.evaluate_torch --model ${m#*:} --label ${m%%:*} --tokenizer $T --heldout $B/heldout \
        --out $S/replies-${m%%:*}-quick.json --sets ${SETS:-docqa_hand_2k,docqa_1k,hop1_1k} --limit ${LIMIT:-0} \
        2>&1 | grep -v "^  " | tail -4
done
tar -czf $OUT/small.tar.gz -C $S . && rm -r $S
