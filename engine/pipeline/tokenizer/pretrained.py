"""A checkpoint's own tokenizer: the Hugging Face `tokenizer.json` (+ `tokenizer_config.json` and
`config.json` beside it) of a Qwen2 / Llama-3 style model, for making training rows and for the GGUF.

    from engine.pipeline.tokenizer.pretrained import load_tokenizer
    tok = load_tokenizer("Qwen2.5-0.5B-Instruct/tokenizer.json")   # or the directory
    tok.encode("<|im_start|>user\\nHi<|im_end|>\\n")                 # added tokens are single ids
    tok.separator_id                                                 # put before every document / sample
    tok.chat.from_chatml(sample)                                     # a ChatML sample in the model's format

`load_tokenizer` gives this project's own tokenizer.json to bpe.Tokenizer, unchanged (so the default
model's data are what they always were), and any other to `PretrainedTokenizer`, which encodes with:
  - the `tokenizers` library when it can be imported (the reference; it is on the GPU machine), else
  - bpe.Tokenizer configured to reproduce the file exactly: byte-level BPE with the file's own split regex
    (pretokenize.onig_to_python; Qwen2's and Llama-3's differ from GPT-2's: single / up-to-3 digits,
    case-insensitive contractions, newline runs), its NFC normalizer (Qwen2), `ignore_merges` (Llama-3),
    added tokens matched in the raw text first, leftmost-longest, as `tokenizers` does.
  A file that needs anything else (another normalizer or pre-tokenizer, byte fallback, added tokens with
  lstrip/rstrip/single_word) raises TokenizerError naming the `tokenizers` library.

Special tokens are looked up in the file, never assumed: bos/eos/pad from tokenizer_config.json
(`bos_token` ... as text or {"content": ...}), else config.json's `*_token_id` (gguf-py's SpecialVocab
order). Rows are separated by the BOS when there is one (Llama-3: <|begin_of_text|>; Qwen2.5's config.json
names <|endoftext|>), else <|endoftext|>, else the EOS.
"""
from __future__ import annotations

import json
import os
import unicodedata
from typing import Dict, List, Optional

from . import pretokenize
from .bpe import Tokenizer
from .bytelevel import BYTE_TO_CHAR
from .special import SPECIAL_TOKENS

# end-of-turn tokens llama.cpp knows (llama-vocab.cpp's EOT detection), in preference order
TURN_END_TOKENS = ("<|im_end|>", "<|eot_id|>", "<|end_of_turn|>", "<end_of_turn>", "<|end|>", "<|endoftext|>")


class TokenizerError(ValueError):
    """A tokenizer this pipeline cannot reproduce (or a file that is not one); the message says why."""


def tokenizer_file(path: str) -> str:
    f = os.path.join(path, "tokenizer.json") if os.path.isdir(path) else path
    if not os.path.isfile(f):
        raise TokenizerError(f"{f}: no such tokenizer.json")
    return f


def is_own_tokenizer(d: dict) -> bool:
    """This project's own tokenizer.json (tokenizer/train.py): GPT-2 ByteLevel split, our four control
    tokens at ids 0..3."""
    pre = d.get("pre_tokenizer") or {}
    added = sorted(d.get("added_tokens", []), key=lambda a: a["id"])
    return (d.get("normalizer") is None and pre.get("type") == "ByteLevel" and pre.get("use_regex", True)
            and [(a["id"], a["content"]) for a in added] == list(enumerate(SPECIAL_TOKENS)))


def load_tokenizer(path: str, backend: str = "auto"):
    """bpe.Tokenizer for this project's tokenizer.json, PretrainedTokenizer for a checkpoint's."""
    f = tokenizer_file(path)
    with open(f, encoding="utf-8") as fh:
        d = json.load(fh)
    if is_own_tokenizer(d):
        return Tokenizer.load(f)
    return PretrainedTokenizer(f, backend=backend, data=d)


def _token_text(entry) -> Optional[str]:
    if isinstance(entry, dict):
        entry = entry.get("content")
    return entry if isinstance(entry, str) else None


def _read_json(path: str) -> dict:
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def split_of(d: dict):
    """(llama.cpp pre name or None, Oniguruma split regex) of a tokenizer.json's pre-tokenizer, or raises
    TokenizerError when it is not a byte-level split that bpe.Tokenizer can run."""
    pre = d.get("pre_tokenizer") or {}
    if pre.get("type") == "ByteLevel":
        if pre.get("add_prefix_space") or not pre.get("use_regex", True):
            raise TokenizerError("ByteLevel pre-tokenizer with add_prefix_space or without its regex")
        regex = pretokenize.GPT2_SPLIT
    elif pre.get("type") == "Sequence":
        steps = pre.get("pretokenizers", [])
        if len(steps) != 2 or steps[0].get("type") != "Split" or steps[1].get("type") != "ByteLevel":
            raise TokenizerError(f"pre-tokenizer sequence {[s.get('type') for s in steps]} (expected Split, ByteLevel)")
        split, byte_level = steps
        if "Regex" not in (split.get("pattern") or {}) or split.get("behavior") != "Isolated" or split.get("invert"):
            raise TokenizerError(f"Split pre-tokenizer {split}")
        if byte_level.get("add_prefix_space") or byte_level.get("use_regex", True):
            raise TokenizerError("ByteLevel step with add_prefix_space or its own regex after a Split")
        regex = split["pattern"]["Regex"]
    else:
        raise TokenizerError(f"pre-tokenizer {pre.get('type')}")
    return pretokenize.LLAMA_CPP_PRE.get(regex), regex


class PretrainedTokenizer:
    """A Hugging Face tokenizer.json of a byte-level BPE checkpoint (Qwen2, Llama-3, GPT-2 style)."""

    def __init__(self, path: str, backend: str = "auto", data: Optional[dict] = None):
        self.path = tokenizer_file(path)
        self.directory = os.path.dirname(os.path.abspath(self.path))
        if data is None:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        self.config = _read_json(os.path.join(self.directory, "tokenizer_config.json"))
        self.model_config = _read_json(os.path.join(self.directory, "config.json"))
        model = data.get("model") or {}
        if model.get("type") != "BPE":
            raise TokenizerError(f"{self.path}: model type {model.get('type')}, expected BPE")
        self.added = sorted(data.get("added_tokens", []), key=lambda a: a["id"])
        self.vocab: Dict[str, int] = model["vocab"]
        self.merge_pairs = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m)
                            for m in model.get("merges", [])]
        self.id_to_token: Dict[int, str] = {i: t for t, i in self.vocab.items()}
        for a in self.added:
            have = self.id_to_token.get(a["id"])
            if have is not None and have != a["content"]:
                raise TokenizerError(f"{self.path}: id {a['id']} is {have!r} in the vocabulary and "
                                     f"{a['content']!r} as an added token")
            self.id_to_token[a["id"]] = a["content"]
        self.token_to_id = {t: i for i, t in self.id_to_token.items()}
        self.added_ids = {a["content"]: a["id"] for a in self.added}
        self.special_ids = self.added_ids          # as bpe.Tokenizer.special_ids: text -> id of whole-string tokens
        self.pre, self.split_regex = None, None
        try:
            self.pre, self.split_regex = split_of(data)
        except TokenizerError as e:
            self._unsupported = str(e)
        else:
            self._unsupported = None
        self._data = data
        self._setup_backend(backend)
        self._resolve_special_tokens()
        self._chat = None

    # ------------------------------------------------------------ backends
    def _setup_backend(self, backend: str) -> None:
        """backend: "auto" (tokenizers if importable, else bpe), "tokenizers", "bpe", or "none" (no encoding:
        enough for writing the vocabulary into a GGUF)."""
        if backend == "none":
            self.backend = "none"
            return
        if backend in ("auto", "tokenizers"):
            try:
                import tokenizers
            except ImportError:
                if backend == "tokenizers":
                    raise TokenizerError("the Hugging Face `tokenizers` library is not installed "
                                         "(pip install tokenizers)") from None
            else:
                self.backend = "tokenizers"
                self._hf = tokenizers.Tokenizer.from_file(self.path)
                self._hf_plain = tokenizers.Tokenizer.from_file(self.path)
                try:
                    self._hf_plain.encode_special_tokens = True     # tokenizers >= 0.15: specials as text
                except AttributeError:
                    self._hf_plain = None
                return
        if backend not in ("auto", "bpe"):
            raise ValueError(f"unknown tokenizer backend {backend}")
        reason = self._bpe_unsupported()
        if reason:
            raise TokenizerError(f"{self.path}: this tokenizer needs the Hugging Face `tokenizers` library "
                                 f"(pip install tokenizers), which is not installed here; engine/pipeline/tokenizer/"
                                 f"bpe.py cannot reproduce it exactly: {reason}")
        d, model = self._data, self._data["model"]
        normalizer = (lambda s: unicodedata.normalize("NFC", s)) if d.get("normalizer") else None
        n_model = len(self.vocab)
        tokens = [None] * n_model
        for t, i in self.vocab.items():
            tokens[i] = t
        self._bpe = Tokenizer(tokens, self.merge_pairs, special_tokens=[],
                              split=pretokenize.isolated_splitter(self.split_regex), normalize=normalizer,
                              ignore_merges=bool(model.get("ignore_merges")))
        self.backend = "bpe"

    def _bpe_unsupported(self) -> Optional[str]:
        """Why bpe.Tokenizer cannot reproduce this file exactly, or None."""
        d, model = self._data, self._data["model"]
        if self._unsupported:
            return self._unsupported
        try:
            pretokenize.onig_to_python(self.split_regex)
        except pretokenize.UnsupportedPattern as e:
            return f"split regex {self.split_regex!r} uses {e}"
        norm = d.get("normalizer")
        if norm is not None and norm != {"type": "NFC"}:
            return f"normalizer {norm.get('type')}"
        if model.get("byte_fallback") or model.get("dropout") or model.get("continuing_subword_prefix") \
                or model.get("end_of_word_suffix"):
            return "BPE options byte_fallback / dropout / subword prefix or suffix"
        if sorted(self.vocab.values()) != list(range(len(self.vocab))):
            return "the vocabulary's ids are not 0..n-1"
        for a in self.added:
            if a.get("lstrip") or a.get("rstrip") or a.get("single_word"):
                return f"added token {a['content']!r} with lstrip/rstrip/single_word"
        chars = set(BYTE_TO_CHAR.values())
        bad = next((t for t in self.vocab if t not in self.added_ids and not set(t) <= chars), None)
        if bad is not None:
            return f"token {bad!r} is not a byte-level string"
        if any(" " in a or " " in b for a, b in self.merge_pairs):
            return "merges with spaces inside a token"
        return None

    # ------------------------------------------------------------ special tokens
    def _resolve_special_tokens(self) -> None:
        """bos/eos/pad/unk ids as gguf-py's SpecialVocab finds them: tokenizer_config.json's `<kind>_token`
        looked up among the added tokens, else config.json's `<kind>_token_id` (when an int in range)."""
        self.special_text: Dict[str, Optional[str]] = {}
        self.special_id: Dict[str, Optional[int]] = {}
        for kind in ("bos", "eos", "pad", "unk"):
            text = _token_text(self.config.get(f"{kind}_token"))
            tid = next((a["id"] for a in self.added if a["content"] == text), None) if text else None
            if tid is None:
                cid = self.model_config.get(f"{kind}_token_id")
                if isinstance(cid, int) and 0 <= cid < self.n_tokens_with_padding():
                    tid = cid
            self.special_id[kind] = tid
            self.special_text[kind] = self.id_to_token.get(tid) if tid is not None else text
        self.bos_id, self.eos_id, self.pad_id = self.special_id["bos"], self.special_id["eos"], self.special_id["pad"]
        if self.bos_id is not None:
            self.separator_id = self.bos_id
        elif "<|endoftext|>" in self.added_ids:
            self.separator_id = self.added_ids["<|endoftext|>"]
        elif self.eos_id is not None:
            self.separator_id = self.eos_id
        else:
            raise TokenizerError(f"{self.path}: no BOS, <|endoftext|> or EOS token to separate documents with")
        self.separator_text = self.id_to_token[self.separator_id]
        self.eot_id = None
        template = self.config.get("chat_template")
        template = template if isinstance(template, str) else ""
        present = [t for t in TURN_END_TOKENS if t in self.added_ids]
        in_template = [t for t in present if t in template]
        if in_template or present:
            self.eot_id = self.added_ids[(in_template or present)[0]]

    def n_tokens_with_padding(self) -> int:
        n = self.model_config.get("vocab_size")
        return max(self.vocab_size, n if isinstance(n, int) else 0)

    @property
    def vocab_size(self) -> int:
        """1 + the largest id the tokenizer can produce (the model's embedding may be larger: Qwen2.5 pads)."""
        return max(self.id_to_token) + 1

    # ------------------------------------------------------------ chat format
    @property
    def chat(self):
        """tasks.chat_template.ChatFormat of this checkpoint (its tokenizer_config.json chat_template)."""
        if self._chat is None:
            from ..tasks.chat_template import ChatFormat
            template = self.config.get("chat_template")
            if template is None:
                for name in ("chat_template.jinja",):
                    p = os.path.join(self.directory, name)
                    if os.path.isfile(p):
                        with open(p, encoding="utf-8") as f:
                            template = f.read()
            special = {f"{k}_token": self.special_text.get(k) for k in ("bos", "eos", "pad", "unk")}
            self._chat = ChatFormat(template, special, vocabulary=self.added_ids)
        return self._chat

    def strip_text(self) -> str:
        """What a rendered chat sample may start with that the row's separator already is (Llama-3's
        template begins with {{ bos_token }})."""
        return self.special_text.get("bos") or ""

    # ------------------------------------------------------------ encode / decode
    def encode(self, text: str, allow_special: bool = True) -> List[int]:
        """Text -> ids. Added tokens (<|im_start|> ...) in the text become their single ids, as `tokenizers`
        does; allow_special=False treats the *special* ones as plain text (tokenizers' encode_special_tokens)."""
        if self.backend == "none":
            raise TokenizerError(f"{self.path} was loaded without an encoder (backend='none')")
        if self.backend == "tokenizers":
            enc = self._hf if allow_special or self._hf_plain is None else self._hf_plain
            return enc.encode(text, add_special_tokens=False).ids
        if not hasattr(self, "_added_rx"):
            import re

            def rx(tokens):
                tokens = sorted(tokens, key=len, reverse=True)
                return re.compile("(" + "|".join(re.escape(t) for t in tokens) + ")") if tokens else None
            self._added_rx = rx(a["content"] for a in self.added)
            self._plain_rx = rx(a["content"] for a in self.added if not a.get("special"))
        split_rx = self._added_rx if allow_special else self._plain_rx
        if split_rx is None:
            return self._bpe.encode_ordinary(text)
        out = []
        for i, part in enumerate(split_rx.split(text)):
            if i % 2:
                out.append(self.added_ids[part])
            elif part:
                out.extend(self._bpe.encode_ordinary(part))
        return out

    def decode(self, ids: List[int]) -> str:
        if self.backend == "none":
            raise TokenizerError(f"{self.path} was loaded without an encoder (backend='none')")
        if self.backend == "tokenizers":
            return self._hf.decode(list(ids), skip_special_tokens=False)
        parts, buf = [], bytearray()
        for i in ids:
            t = self.id_to_token[i]
            if t in self.added_ids:
                parts.append(buf.decode("utf-8", errors="replace"))
                buf = bytearray()
                parts.append(t)
            else:
                buf += self._bpe._id_bytes[i]
        parts.append(buf.decode("utf-8", errors="replace"))
        return "".join(parts)
