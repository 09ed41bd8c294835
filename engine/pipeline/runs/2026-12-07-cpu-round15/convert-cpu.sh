#!/usr/bin/env bash
# Round 15 (issue 13), on this machine's 2 CPU cores, because no GPU machine came: round 13's keep1-lr6 converted
# STEPS more steps against its teacher dense-long-lr6, every batch task rows (doc-QA, HashHop and, in 35% of the
# rows, chat turns whose greetings and requests tasks/small_talk.py composes), KL to the teacher + reply loss, rows
# of 1,024, 4 a step, LR cosine from 1e-4 to a tenth. Then the Q8_0 export to /work/NAME.gguf and its sha256.
# About 38 s a step here (64 steps: 42 minutes), 262k tokens: round 14's planned GPU call would have seen 36M.
#   engine/pipeline/runs/2026-12-07-cpu-round15/convert-cpu.sh   (T= teacher, S= student, STEPS=, NAME=, EVERY= MIX= as
#   convert's --task-every and --task-mix)
set -euo pipefail
cd "$(dirname "$0")/../../../.."
export PYTHONUNBUFFERED=1 GGUF_PY=$PWD/node_modules/node-llama-cpp/llama/llama.cpp/gguf-py
B=engine/pipeline/build; W=${W:-/tmp/round15}; N=${NAME:-keep1-lr6-cpu}; TOK=$B/tokenizer/tokenizer.json
T=${T:-/work/dense-long-lr6.gguf}; S=${S:-/work/keep1-lr6.gguf}; mkdir -p $W
sha256sum $T $S
[ -d $W/shards ] || /usr/bin/python3 -m engine.pipeline.stages.textshards tokenize --text $B/taskdata/text.txt.xz \
    --tokenizer $TOK --out $W/shards | tail -1
/usr/bin/python3 -m engine.pipeline.stages.convert --dense $T --student $S --data $W/shards --out $W/$N \
    --seq-len 1024 --batch 4 --stage2-steps ${STEPS:-64} --minutes ${MIN:-60} --paragraphs $B/taskdata/skills.json.xz \
    --tokenizer $TOK --answer-weight 1 --stage2-lr 1e-4 --workers 1 --task-every ${EVERY:-1} --task-mix ${MIX:-doc_prose=0} \
    > $W/convert-$N.log 2>&1
grep -v "^step" $W/convert-$N.log | tail -3; grep "^step" $W/convert-$N.log | tail -1
/usr/bin/python3 -m engine.pipeline.stages.export --model $W/$N --tokenizer $TOK --out /work/$N.gguf | tail -1
sha256sum /work/$N.gguf
