#!/usr/bin/env bash
# Trains the default model pair end to end on one GPU (about 35 minutes on an H100):
# dense pre-training at 4k, context extension to 16k, long-context task tuning, head analysis,
# RecurFormer conversion at keep 1/8, 2/8 and 4/8, Q8_0 GGUF export. Every stage resumes when run
# again; FROM=dense.gguf (or a checkpoint) skips pre-training and extension and tunes that model.
#   engine/pipeline/train_default_pair.sh WORK_DIR OUT_DIR
# Scale with env: PRETRAIN_MIN EXTEND_MIN TASK_MIN CONVERT_MIN (keep 1/8; the others get half),
# SHAPE (JSON), BATCH, SEQ, LONG_SEQ, DATA (token shards), TOKENIZER, PARAGRAPHS (taskdata.py).
set -euo pipefail
W=${1:?work dir}; OUT=${2:?output dir}
PY=${PYTHON:-python3}
DATA=${DATA:-engine/pipeline/build/shards}
TOKENIZER=${TOKENIZER:-engine/pipeline/build/tokenizer/tokenizer.json}
PARAGRAPHS=${PARAGRAPHS:-engine/pipeline/build/taskdata/paragraphs.txt.xz}
PRETRAIN_MIN=${PRETRAIN_MIN:-10}; EXTEND_MIN=${EXTEND_MIN:-3}; TASK_MIN=${TASK_MIN:-8}; CONVERT_MIN=${CONVERT_MIN:-5}
SEQ=${SEQ:-4096}; LONG_SEQ=${LONG_SEQ:-16384}; BATCH=${BATCH:-16}; SHAPE=${SHAPE:-'{}'}
VOCAB=$($PY -c "from engine.pipeline.tokenizer.bpe import Tokenizer; print(Tokenizer.load('$TOKENIZER').vocab_size)")
mkdir -p "$W" "$OUT"
stage() { echo "=== $(date +%T) $*"; }

if [ -z "${FROM:-}" ]; then
    stage pretrain
    $PY -m engine.pipeline.stages.pretrain --data "$DATA" --vocab "$VOCAB" --out "$W/dense-4k" --seq-len "$SEQ" \
        --batch "$BATCH" --steps 0 --minutes "$PRETRAIN_MIN" --shape "$SHAPE"
    stage extend
    $PY -m engine.pipeline.stages.pretrain --data "$DATA" --init "$W/dense-4k" --out "$W/dense-16k" --seq-len "$LONG_SEQ" \
        --batch $(( BATCH * SEQ / LONG_SEQ > 0 ? BATCH * SEQ / LONG_SEQ : 1 )) --rope-base 200000 --lr 3e-4 \
        --warmup 20 --steps 0 --minutes "$EXTEND_MIN"
    FROM="$W/dense-16k"
fi
stage tasktune
$PY -m engine.pipeline.stages.tasktune --init "$FROM" --data "$DATA" --tokenizer "$TOKENIZER" --paragraphs "$PARAGRAPHS" \
    --out "$W/dense" --seq-len "$SEQ" --batch "$BATCH" --minutes "$TASK_MIN"
stage analyze
$PY -m engine.pipeline.stages.analyze --model "$W/dense" --data "$DATA" --out "$OUT/analysis" --sequences 8 --seq-len 2048
for keep in 1 2 4; do
    minutes=$([ $keep = 1 ] && echo "$CONVERT_MIN" || $PY -c "print($CONVERT_MIN / 2)")
    stage "convert keep $keep/8 ($minutes min)"
    $PY -m engine.pipeline.stages.convert --dense "$W/dense" --recency "$OUT/analysis/recency.json" --keep $keep \
        --data "$DATA" --out "$W/rf-keep$keep" --seq-len "$SEQ" --batch $(( BATCH / 2 > 0 ? BATCH / 2 : 1 )) \
        --stage1-steps 0 --stage2-steps 0 --minutes "$minutes" --paragraphs "$PARAGRAPHS" --tokenizer "$TOKENIZER"
done
stage export
$PY -m engine.pipeline.stages.export --model "$W/dense" --tokenizer "$TOKENIZER" --out "$OUT/recurformer-desktop-dense.Q8_0.gguf"
for keep in 1 2 4; do
    $PY -m engine.pipeline.stages.export --model "$W/rf-keep$keep" --tokenizer "$TOKENIZER" \
        --out "$OUT/recurformer-desktop-keep$keep.Q8_0.gguf"
done
stage done
