#!/usr/bin/env bash
# Trains the default model pair end to end on one GPU (about 25 minutes on an H200):
# dense pre-training at 4k, context extension to 16k, skill tuning (tasks/skills.py: document Q&A in many
# shapes, HashHop, plain chat, greetings, refusals, "I don't know"), head analysis, RecurFormer conversion
# (distillation on mixed batches: plain-text KL + task rows), Q8_0 GGUF export, held-out evaluation with the
# PyTorch reference (stages/evaluate_torch.py on tasks/heldout.py's sets). Every stage resumes when run
# again; FROM=dense.gguf (or a checkpoint) skips pre-training and extension and tunes that model.
# Several conversions (KEEPS, CONVERT_VARIANTS) run at once on the one GPU (a 30M-parameter model leaves
# most of it idle); each holds 16-23 GiB at its peak, so four at once fit an H200 (141 GiB) but not an 80 GiB H100
# (2026-12-06: two of four ran out of memory there): on an H100 run at most three together.
#   engine/pipeline/train_default_pair.sh WORK_DIR OUT_DIR
# STAGES picks stages (default: all, in order), so that a run can be split over 10-minute commands:
#   STAGES="pretrain extend" ...; STAGES="tasktune analyze" ...; STAGES="convert export" ...
# Scale with env: PRETRAIN_MIN EXTEND_MIN TASK_MIN CONVERT_MIN (each conversion),
# SHAPE (JSON), BATCH, SEQ, LONG_SEQ, DATA (token shards; made from TEXT by stages/textshards.py when the
# directory is missing), TOKENIZER, PARAGRAPHS (taskdata.py: skills.json.xz), HELDOUT (tasks/heldout.py's
# sets), KEEPS (default "1"; "" for none), CONVERT_ARGS (convert.py options of every conversion), CONVERT_VARIANTS
# ("name:extra options;..." e.g. "mixed:--task-every 2;taskonly:--task-every 1": one conversion per keep and
# variant, out dirs rf-keepK-NAME), TASK_LR, DENSE (the teacher of the conversions: default WORK/dense),
# EVAL_EXTRA ("label:path ..." more models for the evaluate stage), EVAL_ARGS (evaluate_torch.py options),
# BASED ("W:D ...", e.g. "64:16 256:16"; default none: one BASED conversion of DENSE per window W and feature dim
# D, convert.py --arch based, at the same time, budget, batch, CONVERT_ARGS and first CONVERT_VARIANTS options as
# the RecurFormer ones; out dirs
# based-wW-dD, GGUFs recurformer-desktop-based-wW-dD.Q8_0.gguf).
set -euo pipefail
stage() { echo "=== $(date +%T) $*"; }
W=${1:?work dir}; OUT=${2:?output dir}
PY=${PYTHON:-python3}
DATA=${DATA:-engine/pipeline/build/shards}
TOKENIZER=${TOKENIZER:-engine/pipeline/build/tokenizer/tokenizer.json}
PARAGRAPHS=${PARAGRAPHS:-engine/pipeline/build/taskdata/skills.json.xz}
TEXT=${TEXT:-engine/pipeline/build/taskdata/text.txt.xz}; HELDOUT=${HELDOUT:-engine/pipeline/build/heldout}
PRETRAIN_MIN=${PRETRAIN_MIN:-6}; EXTEND_MIN=${EXTEND_MIN:-2}; TASK_MIN=${TASK_MIN:-6}; CONVERT_MIN=${CONVERT_MIN:-8}
STAGES=${STAGES:-"pretrain extend tasktune analyze convert export evaluate"}; KEEPS=${KEEPS-"1"}
CONVERT_ARGS=${CONVERT_ARGS:-"--answer-weight 1 --stage2-lr 2e-4 --stage1-share 0.35 --workers 6"}
CONVERT_VARIANTS=${CONVERT_VARIANTS:-"mixed:--task-every 2"}; TASK_LR=${TASK_LR:-3e-4}
SEQ=${SEQ:-4096}; LONG_SEQ=${LONG_SEQ:-16384}; BATCH=${BATCH:-16}; SHAPE=${SHAPE:-'{}'}
if [ ! -d "$DATA" ]; then
    stage "token shards from $TEXT"
    $PY -m engine.pipeline.stages.textshards tokenize --text "$TEXT" --tokenizer "$TOKENIZER" --out "$DATA"
fi
VOCAB=$($PY -c "from engine.pipeline.tokenizer.bpe import Tokenizer; print(Tokenizer.load('$TOKENIZER').vocab_size)")
mkdir -p "$W" "$OUT"
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
        --out "$W/dense" --seq-len "$SEQ" --batch "$BATCH" --minutes "$TASK_MIN" --lr "$TASK_LR"
fi
DENSE=${DENSE:-$W/dense}    # the tuned dense model (a GGUF from an earlier run works too)
if wants analyze; then
    stage analyze
    $PY -m engine.pipeline.stages.analyze --model "$DENSE" --data "$DATA" --out "$OUT/analysis" --sequences 8 --seq-len 2048
fi
RF=()
IFS=';' read -ra VARIANTS <<< "$CONVERT_VARIANTS"
for keep in $KEEPS; do for v in "${VARIANTS[@]}"; do RF+=("$keep:${v%%:*}:${v#*:}"); done; done
BASED_DIRS=()
for b in ${BASED:-}; do BASED_DIRS+=("based-w${b%%:*}-d${b#*:}"); done
if wants convert; then
    stage "convert $(( ${#RF[@]} + ${#BASED_DIRS[@]} )) at once ($CONVERT_MIN min): ${RF[*]} ${BASED_DIRS[*]}"
    pids=()
    for b in ${BASED:-}; do
        name="based-w${b%%:*}-d${b#*:}"
        # shellcheck disable=SC2086
        $PY -m engine.pipeline.stages.convert --arch based --window "${b%%:*}" --feature-dim "${b#*:}" --dense "$DENSE" \
            --data "$DATA" --out "$W/$name" --seq-len "$SEQ" --batch $(( BATCH / 2 > 0 ? BATCH / 2 : 1 )) \
            --stage1-steps 0 --stage2-steps 0 --minutes "$CONVERT_MIN" --paragraphs "$PARAGRAPHS" --tokenizer "$TOKENIZER" \
            $CONVERT_ARGS ${VARIANTS[0]#*:} > "$W/convert-$name.log" 2>&1 &
        pids+=($!)
    done
    for r in "${RF[@]}"; do
        IFS=: read -r keep name extra <<< "$r"
        # shellcheck disable=SC2086
        $PY -m engine.pipeline.stages.convert --dense "$DENSE" --recency "$OUT/analysis/recency.json" --keep "$keep" \
            --data "$DATA" --out "$W/rf-keep$keep-$name" --seq-len "$SEQ" --batch $(( BATCH / 2 > 0 ? BATCH / 2 : 1 )) \
            --stage1-steps 0 --stage2-steps 0 --minutes "$CONVERT_MIN" --paragraphs "$PARAGRAPHS" --tokenizer "$TOKENIZER" \
            $CONVERT_ARGS $extra > "$W/convert-keep$keep-$name.log" 2>&1 &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    for r in "${RF[@]}"; do IFS=: read -r keep name _ <<< "$r"; echo "--- keep $keep/8 $name"; tail -n 3 "$W/convert-keep$keep-$name.log"; done
    for name in "${BASED_DIRS[@]}"; do echo "--- $name"; tail -n 3 "$W/convert-$name.log"; done
fi
if wants export; then
    stage export
    [[ "$DENSE" == *.gguf ]] || $PY -m engine.pipeline.stages.export --model "$DENSE" --tokenizer "$TOKENIZER" \
        --out "$OUT/recurformer-desktop-dense.Q8_0.gguf"
    for r in "${RF[@]}"; do
        IFS=: read -r keep name _ <<< "$r"
        $PY -m engine.pipeline.stages.export --model "$W/rf-keep$keep-$name" --tokenizer "$TOKENIZER" \
            --out "$OUT/recurformer-desktop-keep$keep-$name.Q8_0.gguf"
    done
    for name in "${BASED_DIRS[@]}"; do
        $PY -m engine.pipeline.stages.export --model "$W/$name" --tokenizer "$TOKENIZER" \
            --out "$OUT/recurformer-desktop-$name.Q8_0.gguf" --description "RecurFormer Desktop BASED model ($name, engine/pipeline)"
    done
fi
if wants evaluate; then
    stage "held-out evaluation (PyTorch reference)"
    models=("dense:$DENSE")
    for r in "${RF[@]}"; do IFS=: read -r keep name _ <<< "$r"; [ -d "$W/rf-keep$keep-$name" ] && models+=("keep$keep-$name:$W/rf-keep$keep-$name"); done
    for name in "${BASED_DIRS[@]}"; do models+=("$name:$W/$name"); done
    for m in ${EVAL_EXTRA:-} "${models[@]}"; do
        [ -e "${m#*:}" ] || continue
        $PY -m engine.pipeline.stages.evaluate_torch --model "${m#*:}" --label "${m%%:*}" --tokenizer "$TOKENIZER" \
            --heldout "$HELDOUT" --out "$OUT/replies-${m%%:*}.json" ${EVAL_ARGS:-}
    done
fi
stage done
