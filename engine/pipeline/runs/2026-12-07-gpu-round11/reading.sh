#!/usr/bin/env bash
# GPU round 11, call 2 (issue 13): do rows that ask about real sentences teach reading one sentence? One tune of the
# shipped dense whose task rows are all such rows (doc_prose=1, a quarter of them a passage of one to three
# sentences; chat rows as always), MIN minutes, through round 10's ablation.sh (its parts and small.tar.gz come
# back); then the tuned and the shipped dense answer the hand-written probes with each sentence alone as its
# document (round 10's hand_alone.py), the replies back as two more files.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
export GGUF_PY=$PWD/node_modules/node-llama-cpp/llama/llama.cpp/gguf-py
R10=engine/pipeline/runs/2026-12-07-gpu-round10
ARMS="dense-reading:doc_prose=1" WORKERS=${WORKERS:-14} SETS=${SETS:-docqa_hand_2k,docqa_1k} $R10/ablation.sh
python3 $R10/hand_alone.py make .device/alone
for m in dense-reading:.device/work/dense-reading.Q8_0.gguf dense-shipped:assets/models/dense.gguf; do
    python3 -m engine.pipeline.stages.evaluate_torch --model ${m#*:} --label ${m%%:*}-alone --heldout .device/alone \
        --tokenizer engine/pipeline/build/tokenizer/tokenizer.json --out $OUT/replies-${m%%:*}-alone.json \
        --sets docqa_hand_2k --limit ${LIMIT:-0} --ppl-windows 1 2>&1 | grep -v "^  " | tail -2
done
