"""GPT-2 byte-to-unicode table: every byte maps to one printable character, so
byte-level tokens can be stored as strings (as GGUF "gpt2" vocabularies are)."""


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
         list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def encode_bytes(data):
    return "".join(BYTE_TO_CHAR[b] for b in data)


def decode_chars(s):
    return bytes(CHAR_TO_BYTE[c] for c in s)
