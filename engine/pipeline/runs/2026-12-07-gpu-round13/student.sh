#!/usr/bin/env bash
# Next round, call 1 of 2 (issue 13, planned in this round's README): the student (this round's keep1-lr6) onto the
# GPU machine as the ignored .device/student.gguf (carried: teacher and student do not fit one call's 64 MiB
# together), its sha256, and the token shards; both stay for call 2 on the same warm machine.
set -uo pipefail
cd "$(dirname "$0")/../../../.."
B=engine/pipeline/build; W=.device/work; mkdir -p $W
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null
sha256sum .device/student.gguf
python3 -m engine.pipeline.tasks.heldout | tail -1
python3 -m engine.pipeline.stages.textshards tokenize --text $B/taskdata/text.txt.xz \
    --tokenizer $B/tokenizer/tokenizer.json --out $W/shards 2>&1 | tail -1
