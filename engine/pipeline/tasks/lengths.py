"""Token counting for length targets: the real tokenizer when given, else an estimate."""

CHARS_PER_TOKEN = 4.0


def approx_tokens(text):
    return int(len(text) / CHARS_PER_TOKEN) + 1


def counter(tokenizer=None):
    if tokenizer is None:
        return approx_tokens
    return lambda text: len(tokenizer.encode(text))
