#!/usr/bin/env bash
# GPU round 9, call 1 of 3 (issue 13): the shipped keep 1/8 and the training data onto the GPU machine. The
# teacher (assets/models/dense.gguf, tracked) and the student (34 MB) do not fit one call's 64 MiB together,
# so the student travels first as the ignored .device/student.gguf and stays there for the calls that follow
# on the same warm machine; the text shards are tokenized here meanwhile.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
B=engine/pipeline/build; W=.device/work; mkdir -p $W
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
sha256sum .device/student.gguf
python3 -m engine.pipeline.stages.textshards tokenize --text $B/taskdata/text.txt.xz \
    --tokenizer $B/tokenizer/tokenizer.json --out $W/shards 2>&1 | tail -3
