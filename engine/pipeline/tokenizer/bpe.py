"""Encode/decode with a trained byte-level BPE vocabulary, and export it.

The file format is Hugging Face `tokenizer.json` (BPE model, ByteLevel
pre-tokenizer and decoder, special tokens as added tokens), so the GPU machine
can load the same file with `tokenizers.Tokenizer.from_file` and get the same
ids. `to_gguf_fields()` gives the keys a GGUF writer needs for llama.cpp's
"gpt2" vocabulary type with the "gpt-2" pre-tokenizer.

Id layout: special tokens first (special.SPECIAL_TOKENS), then the 256 byte
tokens in byte order, then one token per merge in merge order.
"""
import json
import os
import re

from . import pretokenize
from .bytelevel import BYTE_TO_CHAR, CHAR_TO_BYTE
from .special import ENDOFTEXT, IM_END, PAD, SPECIAL_TOKENS

TOKEN_TYPE_NORMAL = 1
TOKEN_TYPE_CONTROL = 3


class Tokenizer:
    def __init__(self, tokens, merges, special_tokens=SPECIAL_TOKENS, split=None, normalize=None,
                 ignore_merges=False):
        """tokens: id -> string (byte-level chars, or the special token text);
        merges: list of (left, right) token strings in rank order.
        The rest reproduce a checkpoint's own tokenizer.json (pretrained.py); the defaults are this
        project's tokenizer: split: text -> pieces (default: the llama.cpp GPT-2 pre-tokenizer);
        normalize: applied to text between special tokens before splitting (e.g. NFC);
        ignore_merges: a piece that is itself a token is that token, without merging (Llama-3)."""
        self.tokens = list(tokens)
        self.merges = [tuple(m) for m in merges]
        self.special_tokens = list(special_tokens)
        self.token_to_id = {t: i for i, t in enumerate(self.tokens)}
        if len(self.token_to_id) != len(self.tokens):
            raise ValueError("duplicate token strings")
        self.special_ids = {t: self.token_to_id[t] for t in self.special_tokens}
        self._ranks = {}
        for rank, (a, b) in enumerate(self.merges):
            self._ranks[(self.token_to_id[a], self.token_to_id[b])] = (rank, self.token_to_id[a + b])
        self._byte_ids = [self.token_to_id[BYTE_TO_CHAR[b]] for b in range(256)]
        self._id_bytes = [b"" if t in self.special_ids else bytes(CHAR_TO_BYTE[c] for c in t) for t in self.tokens]
        self._special_rx = re.compile("(" + "|".join(re.escape(s) for s in
                                                     sorted(self.special_tokens, key=len, reverse=True)) + ")") \
            if self.special_tokens else None
        self._cache = {}
        self._split = split or pretokenize.pattern().findall
        self._normalize = normalize
        self._ignore_merges = ignore_merges

    # ------------------------------------------------------------ build / io
    @classmethod
    def from_merges(cls, merges, special_tokens=SPECIAL_TOKENS):
        """merges: list of (left_bytes, right_bytes) from the trainer."""
        tokens = list(special_tokens) + [BYTE_TO_CHAR[b] for b in range(256)]
        seen = set(tokens)
        str_merges = []
        for a, b in merges:
            sa = "".join(BYTE_TO_CHAR[x] for x in a)
            sb = "".join(BYTE_TO_CHAR[x] for x in b)
            str_merges.append((sa, sb))
            if sa + sb not in seen:
                seen.add(sa + sb)
                tokens.append(sa + sb)
        return cls(tokens, str_merges, special_tokens)

    def to_hf_json(self):
        added = [{"id": self.special_ids[t], "content": t, "single_word": False, "lstrip": False,
                  "rstrip": False, "normalized": False, "special": True} for t in self.special_tokens]
        return {
            "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                              "use_regex": True},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                      "ignore_merges": False,
                      "vocab": {t: i for i, t in enumerate(self.tokens)},
                      "merges": [f"{a} {b}" for a, b in self.merges]},
        }

    def save(self, path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_hf_json(), f, ensure_ascii=False)

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        vocab = d["model"]["vocab"]
        tokens = [None] * len(vocab)
        for t, i in vocab.items():
            tokens[i] = t
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in d["model"]["merges"]]
        specials = [a["content"] for a in sorted(d.get("added_tokens", []), key=lambda a: a["id"])]
        return cls(tokens, merges, specials)

    # ------------------------------------------------------------ encode / decode
    @property
    def vocab_size(self):
        return len(self.tokens)

    def _bpe(self, piece):
        ids = [self._byte_ids[b] for b in piece.encode("utf-8")]
        ranks = self._ranks
        while len(ids) > 1:
            best = None
            for i in range(len(ids) - 1):
                r = ranks.get((ids[i], ids[i + 1]))
                if r is not None and (best is None or r[0] < best[0]):
                    best = r
            if best is None:
                break
            rank, new = best
            out, i, n = [], 0, len(ids)
            while i < n:
                if i + 1 < n:
                    r = ranks.get((ids[i], ids[i + 1]))
                    if r is not None and r[0] == rank:
                        out.append(new)
                        i += 2
                        continue
                out.append(ids[i])
                i += 1
            ids = out
        return ids

    def encode_ordinary(self, text):
        """Encode without recognising special tokens (their text is split like any text)."""
        out = []
        cache = self._cache
        if self._normalize is not None:
            text = self._normalize(text)
        for piece in self._split(text):
            ids = cache.get(piece)
            if ids is None:
                whole = self.token_to_id.get("".join(BYTE_TO_CHAR[b] for b in piece.encode("utf-8"))) \
                    if self._ignore_merges else None
                ids = [whole] if whole is not None else self._bpe(piece)
                if len(cache) < 2_000_000:
                    cache[piece] = ids
            out.extend(ids)
        return out

    def encode(self, text, allow_special=True):
        """Text -> ids. Special-token strings become their single ids (as llama.cpp
        does with parse_special=true) unless allow_special is False."""
        if not allow_special or self._special_rx is None:
            return self.encode_ordinary(text)
        out = []
        for i, part in enumerate(self._special_rx.split(text)):
            if i % 2:
                out.append(self.special_ids[part])
            elif part:
                out.extend(self.encode_ordinary(part))
        return out

    def decode(self, ids):
        parts, buf = [], bytearray()
        for i in ids:
            t = self.tokens[i]
            if t in self.special_ids:
                parts.append(buf.decode("utf-8", errors="replace"))
                buf = bytearray()
                parts.append(t)
            else:
                buf += self._id_bytes[i]
        parts.append(buf.decode("utf-8", errors="replace"))
        return "".join(parts)

    # ------------------------------------------------------------ GGUF
    def to_gguf_fields(self, chat_template=None):
        """Key -> value for a GGUF writer (llama.cpp vocab type BPE, "gpt2")."""
        if chat_template is None:
            from ..tasks.chat_template import CHAT_TEMPLATE_JINJA as chat_template
        return {
            "tokenizer.ggml.model": "gpt2",
            "tokenizer.ggml.pre": "gpt-2",
            "tokenizer.ggml.tokens": list(self.tokens),
            "tokenizer.ggml.token_type": [TOKEN_TYPE_CONTROL if t in self.special_ids else TOKEN_TYPE_NORMAL
                                          for t in self.tokens],
            "tokenizer.ggml.merges": [f"{a} {b}" for a, b in self.merges],
            "tokenizer.ggml.bos_token_id": self.special_ids[ENDOFTEXT],
            "tokenizer.ggml.eos_token_id": self.special_ids[IM_END],
            "tokenizer.ggml.eot_token_id": self.special_ids[IM_END],
            "tokenizer.ggml.padding_token_id": self.special_ids[PAD],
            "tokenizer.ggml.add_bos_token": True,
            "tokenizer.ggml.add_eos_token": False,
            "tokenizer.chat_template": chat_template,
        }
