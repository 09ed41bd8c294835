"""GGUF export of a checkpoint with the project's tokenizer and chat template inside.

    python -m engine.pipeline.stages.export --model CKPT --tokenizer tokenizer.json \
        --out assets/models/NAME.Q8_0.gguf [--ftype q8_0|f16|f32]

Dense checkpoints are written as llama.cpp's `llama`, RecurFormer ones as `recurformer`
(engine/llama/README.md).
"""
from __future__ import annotations

import argparse

from ..recurformer.gguf_export import GgufVocab, export_dense, export_recurformer
from ..recurformer.recurformer import RecurFormerModel
from ..tokenizer.bpe import Tokenizer
from . import checkpoint


def vocab_of(tokenizer: Tokenizer) -> tuple[GgufVocab, str]:
    f = tokenizer.to_gguf_fields()
    vocab = GgufVocab(model=f["tokenizer.ggml.model"], pre=f["tokenizer.ggml.pre"], tokens=f["tokenizer.ggml.tokens"],
                      scores=[0.0] * len(f["tokenizer.ggml.tokens"]), token_types=f["tokenizer.ggml.token_type"],
                      merges=f["tokenizer.ggml.merges"], bos_id=f["tokenizer.ggml.bos_token_id"],
                      eos_id=f["tokenizer.ggml.eos_token_id"], unk_id=None,
                      pad_id=f["tokenizer.ggml.padding_token_id"], add_bos=f["tokenizer.ggml.add_bos_token"],
                      add_eos=f["tokenizer.ggml.add_eos_token"])
    return vocab, f["tokenizer.chat_template"]


def export(model, tokenizer: Tokenizer, out: str, ftype: str, description: str = "") -> None:
    vocab, template = vocab_of(tokenizer)
    if isinstance(model, RecurFormerModel):
        export_recurformer(model, out, ftype=ftype, vocab=vocab, chat_template=template, description=description)
    else:
        export_dense(model, out, ftype=ftype, vocab=vocab, chat_template=template, description=description)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ftype", default="q8_0", choices=["q8_0", "f16", "f32"])
    ap.add_argument("--description", default="RecurFormer Desktop default model (engine/pipeline)")
    args = ap.parse_args(argv)
    model, _ = checkpoint.load(args.model, stage="export")
    export(model.eval(), Tokenizer.load(args.tokenizer), args.out, args.ftype, args.description)
    print(f"wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
