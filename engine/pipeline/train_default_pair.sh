#!/usr/bin/env bash
# Trains the default model pair end to end on one GPU (about 25 minutes on an H200):
# dense pre-training at 4k, context extension to 16k, long-context task tuning, head analysis,
# RecurFormer conversion at keep 1/8, 2/8 and 4/8, Q8_0 GGUF export. Every stage resumes when run
# again; FROM=dense.gguf (or a checkpoint) skips pre-training and extension and tunes that model.
# The three conversions run at once on the one GPU (a 30M-parameter model leaves most of it idle).
#   engine/pipeline/train_default_pair.sh WORK_DIR OUT_DIR
# STAGES picks stages (default: all, in order), so that a run can be split over 10-minute commands:
#   STAGES="pretrain extend" ...; STAGES="tasktune analyze" ...; STAGES="convert export" ...
# Scale with env: PRETRAIN_MIN EXTEND_MIN TASK_MIN CONVERT_MIN (each conversion),
# SHAPE (JSON), BATCH, SEQ, LONG_SEQ, DATA (token shards), TOKENIZER, PARAGRAPHS (taskdata.py),
# KEEPS (default "1 2 4"), CONVERT_ARGS (extra convert.py options).
set -euo pipefail
W=${1:?work dir}; OUT=${2:?output dir}
PY=${PYTHON:-python3}
DATA=${DATA:-engine/pipeline/build/shards}
TOKENIZER=${TOKENIZER:-engine/pipeline/build/tokenizer/tokenizer.json}
PARAGRAPHS=${PARAGRAPHS:-engine/pipeline/build/taskdata/paragraphs.txt.xz}
PRETRAIN_MIN=${PRETRAIN_MIN:-6}; EXTEND_MIN=${EXTEND_MIN:-2}; TASK_MIN=${TASK_MIN:-6}; CONVERT_MIN=${CONVERT_MIN:-8}
STAGES=${STAGES:-"pretrain extend tasktune analyze convert export"}; KEEPS=${KEEPS:-"1 2 4"}
CONVERT_ARGS=${CONVERT_ARGS:-"--task-every 1 --answer-weight 1 --stage2-lr 3e-4 --workers 5"}
SEQ=${SEQ:-4096}; LONG_SEQ=${LONG_SEQ:-16384}; BATCH=${BATCH:-16}; SHAPE=${SHAPE:-'{}'}
VOCAB=$($PY -c "from engine.pipeline.tokenizer.bpe import Tokenizer; print(Tokenizer.load('$TOKENIZER').vocab_size)")
mkdir -p "$W" "$OUT"
stage() { echo "=== $(date +%T) $*"; }
wants() { [[ " $STAGES " == *" $1 "* ]]; }

if [ -z "${FROM:-}" ]; then
    if wants pretrain; then
        stage pretrain
        $PY -m engine.pipeline.stages.pretrain --data "$DATA" --vocab "$VOCAB" --out "$W/dense-4k" --seq-len "$SEQ" \
            --batch "$BATCH" --steps 0 --minutes "$PRETRAIN_MIN" --shape "$SHAPE"
    fi
    if wants extend; then
        stage extend
        $PY -m engine.pipeline.stages.pretrain --data "$DATA" --init "$W/dense-4k" --out "$W/dense-16k" --seq-len "$LONG_SEQ" \
            --batch $(( BATCH * SEQ / LONG_SEQ > 0 ? BATCH * SEQ / LONG_SEQ : 1 )) --rope-base 200000 --lr 3e-4 \
            --warmup 20 --steps 0 --minutes "$EXTEND_MIN"
    fi
    FROM="$W/dense-16k"
fi
if wants tasktune; then
    stage tasktune
    $PY -m engine.pipeline.stages.tasktune --init "$FROM" --data "$DATA" --tokenizer "$TOKENIZER" --paragraphs "$PARAGRAPHS" \
        --out "$W/dense" --seq-len "$SEQ" --batch "$BATCH" --minutes "$TASK_MIN"
fi
if wants analyze; then
    stage analyze
    $PY -m engine.pipeline.stages.analyze --model "$W/dense" --data "$DATA" --out "$OUT/analysis" --sequences 8 --seq-len 2048
fi
if wants convert; then
    stage "convert keep ${KEEPS// /,} of 8, at once ($CONVERT_MIN min)"
    pids=()
    for keep in $KEEPS; do
        # shellcheck disable=SC2086
        $PY -m engine.pipeline.stages.convert --dense "$W/dense" --recency "$OUT/analysis/recency.json" --keep "$keep" \
            --data "$DATA" --out "$W/rf-keep$keep" --seq-len "$SEQ" --batch $(( BATCH / 2 > 0 ? BATCH / 2 : 1 )) \
            --stage1-steps 0 --stage2-steps 0 --minutes "$CONVERT_MIN" --paragraphs "$PARAGRAPHS" --tokenizer "$TOKENIZER" \
            $CONVERT_ARGS > "$W/convert-keep$keep.log" 2>&1 &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    for keep in $KEEPS; do echo "--- keep $keep/8"; tail -n 5 "$W/convert-keep$keep.log"; done
fi
if wants export; then
    stage export
    $PY -m engine.pipeline.stages.export --model "$W/dense" --tokenizer "$TOKENIZER" --out "$OUT/recurformer-desktop-dense.Q8_0.gguf"
    for keep in $KEEPS; do
        $PY -m engine.pipeline.stages.export --model "$W/rf-keep$keep" --tokenizer "$TOKENIZER" \
            --out "$OUT/recurformer-desktop-keep$keep.Q8_0.gguf"
    done
fi
stage done
