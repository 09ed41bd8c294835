"""The GPT-2 pre-tokenizer exactly as llama.cpp runs it for `tokenizer.ggml.pre = "gpt-2"`.

llama.cpp's regex (llama-vocab.cpp, LLAMA_VOCAB_PRE_TYPE_GPT2):

    's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)

is executed by the hand-written `unicode_regex_split_custom_gpt2` (unicode.cpp),
which also ends with the `\\s+` fallback of the original GPT-2 pattern and
treats code points without any category flag (unassigned) as one-character
pieces. Python's `re` has no \\p{..}, so the classes are built explicitly:

  L  = Unicode general category L*        (llama.cpp: is_letter)
  N  = Unicode general category N*        (llama.cpp: is_number)
  WS = llama.cpp's unicode_set_whitespace (the White_Space property; note that
       Python's \\s would add U+001C..U+001F, which llama.cpp does not)
  Cn = unassigned code points (llama.cpp: no flags)

Categories come from Python's unicodedata (Unicode 14.0 in Python 3.11); a
code point assigned only in a later Unicode version than that can split
differently from llama.cpp. That is the only known difference.
"""
import re
import sys
import unicodedata

WHITESPACE = [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680] + list(range(0x2000, 0x200B)) + \
             [0x2028, 0x2029, 0x202F, 0x205F, 0x3000]


def _ranges(pred):
    out, start, prev = [], None, None
    for cp in range(sys.maxunicode + 1):
        if pred(cp):
            if start is None:
                start = cp
            prev = cp
        elif start is not None:
            out.append((start, prev))
            start = None
    if start is not None:
        out.append((start, prev))
    return out


def _cls(ranges):
    parts = []
    for a, b in ranges:
        ea, eb = re.escape(chr(a)), re.escape(chr(b))
        # surrogates cannot appear in str from valid UTF-8; keep them out of the class
        parts.append(ea if a == b else f"{ea}-{eb}")
    return "".join(parts)


_PATTERN = None
_CLASSES = None


def _classes():
    """Character-class bodies (for use inside [...]): letters, numbers, whitespace, unassigned."""
    global _CLASSES
    if _CLASSES is None:
        cat = unicodedata.category
        _CLASSES = {"L": _cls(_ranges(lambda c: cat(chr(c))[0] == "L")),
                    "N": _cls(_ranges(lambda c: cat(chr(c))[0] == "N")),
                    "WS": _cls([(c, c) for c in WHITESPACE]),
                    "Cn": _cls(_ranges(lambda c: cat(chr(c)) in ("Cn", "Cs")))}
    return _CLASSES


def pattern():
    global _PATTERN
    if _PATTERN is None:
        c = _classes()
        letters, numbers, ws, unassigned = c["L"], c["N"], c["WS"], c["Cn"]
        rx = (rf"'s|'t|'re|'ve|'m|'ll|'d"
              rf"| ?[{letters}]+"
              rf"| ?[{numbers}]+"
              rf"| ?[^{ws}{letters}{numbers}{unassigned}]+"
              rf"|[{ws}]+(?![^{ws}])"
              rf"|[{ws}]+"
              rf"|(?s:.)")
        _PATTERN = re.compile(rx)
    return _PATTERN


def split(text):
    """Pieces whose concatenation is `text`."""
    return pattern().findall(text)


# ----------------------------------------------------------------------------- checkpoints' own split patterns
#
# A Hugging Face tokenizer.json names its pre-tokenizer split as an Oniguruma regex (the Rust `tokenizers`
# library runs it with onig). The ones this pipeline meets, with llama.cpp's name for each
# (tokenizer.ggml.pre; llama-vocab.cpp implements the same split under that name):

GPT2_SPLIT = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA_CPP_PRE = {GPT2_SPLIT: "gpt-2", QWEN2_SPLIT: "qwen2", LLAMA3_SPLIT: "llama-bpe"}


class UnsupportedPattern(ValueError):
    """An Oniguruma construct this translation does not reproduce exactly."""


def onig_to_python(regex: str) -> str:
    """Python `re` source for an Oniguruma split regex that uses, beyond syntax both engines share, only
    \\p{L}, \\p{N}, \\s and \\S (Unicode semantics as onig has them: \\s is the White_Space set, without the
    U+001C..U+001F that Python's \\s adds). Anything else with an engine-dependent meaning (other \\p{..},
    \\P, \\w, \\d, \\b, \\h, POSIX brackets, \\S inside a class) raises UnsupportedPattern."""
    c = _classes()
    body = {"L": c["L"], "N": c["N"]}
    out, i, in_class = [], 0, False
    while i < len(regex):
        ch = regex[i]
        if ch == "\\":
            if i + 1 >= len(regex):
                raise UnsupportedPattern("trailing backslash")
            nxt = regex[i + 1]
            if nxt == "p" and regex.startswith("{", i + 2):
                end = regex.index("}", i)
                name = regex[i + 3:end]
                if name not in body:
                    raise UnsupportedPattern(f"\\p{{{name}}}")
                out.append(body[name] if in_class else f"[{body[name]}]")
                i = end + 1
                continue
            if nxt == "s":
                out.append(c["WS"] if in_class else f"[{c['WS']}]")
            elif nxt == "S" and not in_class:
                out.append(f"[^{c['WS']}]")
            elif nxt in "rntfv\\'\"-.[](){}?*+|^$/ ":
                out.append(ch + nxt)
            else:
                raise UnsupportedPattern(f"\\{nxt}")
            i += 2
            continue
        if in_class and ch == "[":
            raise UnsupportedPattern("nested character class")
        if ch == "[" and not in_class:
            in_class = True
            out.append(ch)
            i += 1
            if regex.startswith("^", i):
                out.append("^")
                i += 1
            if regex.startswith("]", i):
                out.append("\\]")
                i += 1
            continue
        if ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    if in_class:
        raise UnsupportedPattern("unterminated character class")
    return "".join(out)


def isolated_splitter(regex: str):
    """A function text -> pieces that splits like tokenizers' Split(pattern=Regex(regex), behavior="Isolated",
    invert=False): every match is a piece, and so is any text between matches."""
    rx = re.compile(onig_to_python(regex))

    def split_text(text):
        pieces, pos = [], 0
        for m in rx.finditer(text):
            if m.start() == m.end():
                continue
            if m.start() > pos:
                pieces.append(text[pos:m.start()])
            pieces.append(m.group())
            pos = m.end()
        if pos < len(text):
            pieces.append(text[pos:])
        return pieces
    return split_text
