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


def pattern():
    global _PATTERN
    if _PATTERN is None:
        cat = unicodedata.category
        letters = _cls(_ranges(lambda c: cat(chr(c))[0] == "L"))
        numbers = _cls(_ranges(lambda c: cat(chr(c))[0] == "N"))
        ws = _cls([(c, c) for c in WHITESPACE])
        unassigned = _cls(_ranges(lambda c: cat(chr(c)) in ("Cn", "Cs")))
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
