"""HashHop-style multi-hop chains (after Magic's HashHop): shuffled lines
"A = B" of random strings; the question asks where a start string leads after
N hops. Every left-hand string appears once, so the answer is unique and exact.
Filler chains make the document as long as wanted.
"""
import random
import string
from dataclasses import dataclass

from .chat_template import format_chat
from .lengths import approx_tokens

ALPHABET = string.ascii_lowercase + string.digits


@dataclass
class HashHop:
    document: str
    question: str
    answer: str
    hops: int
    chain: list            # the query chain, start first
    n_tokens: int
    sample: str
    prompt: str


def _key(rng, used, length):
    while True:
        k = "".join(rng.choice(ALPHABET) for _ in range(length))
        if k not in used:
            used.add(k)
            return k


def resolve(lines, start, hops):
    """Follow `hops` assignments from `start` through "A = B" lines (used by tests and checks)."""
    table = dict(l.split(" = ", 1) for l in lines)
    x = start
    for _ in range(hops):
        x = table[x]
    return x


def question_text(start, hops):
    if hops == 1:
        return f"What does {start} lead to?"
    return f"What does {start} lead to after {hops} hops?"


def make_hashhop(rng, target_tokens, hops, count_tokens=approx_tokens, key_len=8):
    used_keys = set()
    chain = [_key(rng, used_keys, key_len) for _ in range(hops + 1)]
    links = [(chain[i], chain[i + 1]) for i in range(hops)]
    header = ("Each line below says that the string on the left leads to the string on the right "
              "(A = B means A leads to B).\n\n")
    # Random strings tokenise unevenly, so count every line: the document never exceeds the target.
    budget = target_tokens - count_tokens(header)
    used = sum(count_tokens(f"{a} = {b}") + 1 for a, b in links)
    full = False
    while not full:
        # filler chains of 1..3 links, so 2-hop distractor paths exist too
        k = rng.randint(1, 3)
        c = [_key(rng, used_keys, key_len) for _ in range(k + 1)]
        for a, b in zip(c, c[1:]):
            t = count_tokens(f"{a} = {b}") + 1
            if used + t > budget:
                full = True
                break
            links.append((a, b))
            used += t
    rng.shuffle(links)
    lines = [f"{a} = {b}" for a, b in links]
    document = header + "\n".join(lines)
    question = question_text(chain[0], hops)
    answer = chain[-1]
    msgs = [{"role": "user", "content": f"{document}\n\nQuestion: {question}"}]
    prompt = format_chat(msgs, add_generation_prompt=True)
    sample = format_chat(msgs + [{"role": "assistant", "content": answer}])
    return HashHop(document, question, answer, hops, chain, count_tokens(document), sample, prompt)


def generate(lengths, hops_choices, n, seed, count_tokens=approx_tokens):
    rng = random.Random(seed)
    for k in range(n):
        yield make_hashhop(rng, lengths[k % len(lengths)], hops_choices[k % len(hops_choices)], count_tokens)
