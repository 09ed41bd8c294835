"""GGUF export of a checkpoint with its tokenizer and chat template inside.

    python -m engine.pipeline.stages.export --model CKPT --tokenizer tokenizer.json \
        --out assets/models/NAME.Q8_0.gguf [--ftype q8_0|f16|f32]

Dense checkpoints are written as llama.cpp's `llama` (`qwen2` with Q/K/V biases), RecurFormer ones as
`recurformer`, BASED ones as `based` (engine/llama/README.md).

--tokenizer is this project's tokenizer.json (the default models) or a Hugging Face checkpoint's own
(`HF_DIR/tokenizer.json`, with tokenizer_config.json and config.json beside it), written as
convert_hf_to_gguf.py writes a BPE vocabulary: tokenizer.ggml.model "gpt2"; tokenizer.ggml.pre named for the
split regex in tokenizer.json ("qwen2", "llama-bpe", "gpt-2": llama-vocab.cpp runs the same split under that
name; any other split is refused, llama.cpp would tokenize it differently); every id up to the model's
vocab_size, ids the tokenizer lacks as "[PAD<i>]" UNUSED; added tokens CONTROL when special or
<|...|>-shaped, else USER_DEFINED; merges; bos/eos/pad ids and add_bos/add_eos as gguf-py's SpecialVocab
reads them; the end-of-turn token as eot; the chat template from tokenizer_config.json.
"""
from __future__ import annotations

import argparse

from ..recurformer.based import BasedModel
from ..recurformer.based_gguf import export_based
from ..recurformer.gguf_export import GgufVocab, export_dense, export_recurformer, gguf
from ..recurformer.recurformer import RecurFormerModel
from ..tokenizer.bpe import Tokenizer
from ..tokenizer.pretrained import PretrainedTokenizer, TokenizerError, load_tokenizer
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


def looks_special(token: str) -> bool:
    """convert_hf_to_gguf.py's does_token_look_special: added tokens that are control tokens in practice."""
    return (token in ("<pad>", "<mask>", "<2mass>", "[@BOS@]")
            or (token.startswith("<|") and token.endswith("|>"))
            or (token.startswith("<｜") and token.endswith("｜>"))
            or (token.startswith("<unused") and token.endswith(">")))


def pretrained_vocab(tok: PretrainedTokenizer, n_vocab: int) -> tuple[GgufVocab, str]:
    """A checkpoint's own tokenizer as a GGUF vocabulary of the model's n_vocab ids (see the module doc)."""
    if tok.pre is None:
        raise TokenizerError(f"{tok.path}: llama.cpp has no pre-tokenizer known to split like {tok.split_regex!r}; "
                             "a GGUF with another pre-tokenizer would tokenize differently from training")
    if tok.vocab_size > n_vocab:
        raise TokenizerError(f"{tok.path} has ids up to {tok.vocab_size - 1}, the model only {n_vocab} embeddings")
    T = gguf.TokenType
    special = {a["content"]: bool(a.get("special")) for a in tok.added}
    tokens, types = [], []
    for i in range(n_vocab):
        t = tok.id_to_token.get(i)
        if t is None:
            tokens.append(f"[PAD{i}]")
            types.append(int(T.UNUSED))
        elif t in special:
            if special[t] or looks_special(t):
                types.append(int(T.CONTROL))
            else:
                t = t.replace("\u2581", " ")
                types.append(int(T.USER_DEFINED))
            tokens.append(t)
        else:
            tokens.append(t)
            types.append(int(T.NORMAL))
    sv = gguf.SpecialVocab(tok.directory, load_merges=False, n_vocab=n_vocab)
    ids, add = sv.special_token_ids, sv.add_special_token
    merges = [" ".join("".join(chr(ord(c) + 256) if c == " " else c for c in part) for part in pair)
              for pair in tok.merge_pairs]
    vocab = GgufVocab(model="gpt2", pre=tok.pre, tokens=tokens, scores=None, token_types=types, merges=merges,
                      bos_id=ids.get("bos"), eos_id=ids.get("eos"), unk_id=ids.get("unk"), pad_id=ids.get("pad"),
                      eot_id=tok.eot_id, add_bos=add.get("bos"), add_eos=add.get("eos"))
    return vocab, tok.chat.template


def export(model, tokenizer, out: str, ftype: str, description: str = "") -> None:
    """tokenizer: this project's bpe.Tokenizer or a checkpoint's PretrainedTokenizer (load_tokenizer)."""
    if isinstance(tokenizer, PretrainedTokenizer):
        cfg = model.config.source if isinstance(model, RecurFormerModel) else model.config
        vocab, template = pretrained_vocab(tokenizer, cfg.vocab_size)
    else:
        vocab, template = vocab_of(tokenizer)
    if isinstance(model, BasedModel):
        export_based(model, out, ftype=ftype, vocab=vocab, chat_template=template, description=description)
    elif isinstance(model, RecurFormerModel):
        export_recurformer(model, out, ftype=ftype, vocab=vocab, chat_template=template, description=description)
    else:
        export_dense(model, out, ftype=ftype, vocab=vocab, chat_template=template, description=description)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer", required=True,
                    help="this project's tokenizer.json, or a Hugging Face checkpoint's (HF_DIR/tokenizer.json)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--ftype", default="q8_0", choices=["q8_0", "f16", "f32"])
    ap.add_argument("--description", default="RecurFormer Desktop default model (engine/pipeline)")
    args = ap.parse_args(argv)
    model, _ = checkpoint.load(args.model, stage="export")
    export(model.eval(), load_tokenizer(args.tokenizer, backend="none"), args.out, args.ftype, args.description)
    print(f"wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
