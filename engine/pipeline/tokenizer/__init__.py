"""Byte-level BPE tokenizer, trained here in pure Python, exported to GGUF as
`tokenizer.ggml.model = "gpt2"`, `tokenizer.ggml.pre = "gpt-2"`.

    from engine.pipeline.tokenizer import Tokenizer
    tok = Tokenizer.load("engine/pipeline/build/tokenizer/tokenizer.json")
    ids = tok.encode("Hello")          # special tokens in text become single ids
    tok.decode(ids) == "Hello"
"""
from .bpe import Tokenizer  # noqa: F401
from .special import SPECIAL_TOKENS  # noqa: F401
