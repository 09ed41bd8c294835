#!/usr/bin/env bash
# Round 12's last steps for one model, shared by long.sh and convert.sh: checkpoint CKPT exported as NAME.Q8_0.gguf,
# back in 16 MB parts ($OUT), its sha256 and its PyTorch replies on the pinned sets (SETS, LIMIT) written to DIR.
#   export_check.sh NAME CKPT DIR      (from the repository root, B, W and T set by the caller)
N=$1; CKPT=$2; D=$3
python3 -m engine.pipeline.stages.export --model $CKPT --tokenizer $T --out $W/$N.Q8_0.gguf 2>&1 | tail -1
(cd $W && split -b 16000000 -d -a 1 $N.Q8_0.gguf $OUT/$N.Q8_0.gguf.part && sha256sum $N.Q8_0.gguf | tee $D/sums-$N.txt)
python3 -m engine.pipeline.stages.evaluate_torch --model $W/$N.Q8_0.gguf --label $N --tokenizer $T --heldout $B/heldout \
    --out $D/replies-$N.json --sets ${SETS:-docqa_1k,docqa_4k,docqa_8k,docqa_16k,hop1_1k,docqa_hand_2k} \
    --limit ${LIMIT:-0} 2>&1 | grep -v "^  " | tail -8
