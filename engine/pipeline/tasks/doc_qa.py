"""Document Q&A: real text with facts planted at random depths, and a question
whose exact answer is the planted value.

A document holds one target fact and a few distractors of the same shape about
other entities ("The access code for the Red Mill vault is 2290."), so the
answer needs the right entity, not just the right kind of sentence.
"""
import random
from dataclasses import dataclass

from .chat_template import format_chat
from .lengths import approx_tokens

COLORS = ["Blue", "Red", "Green", "Silver", "Golden", "Black", "White", "Amber", "Grey", "Crimson", "Violet",
          "Copper", "Iron", "Stone", "Cedar", "Oak", "Pine", "Maple", "Willow", "Northern", "Southern",
          "Eastern", "Western", "Old", "New", "High", "Low", "Hidden", "Quiet", "Bright"]
PLACES = ["Harbor", "Mill", "Tower", "Bridge", "Valley", "Ridge", "Gate", "Hollow", "Market", "Field",
          "Garden", "Castle", "Chapel", "Forge", "Lake", "River", "Hill", "Cove", "Square", "Station"]
SYLLABLES = ["ka", "lo", "mi", "ra", "ten", "dor", "vin", "sa", "bel", "tor", "ann", "el", "ric", "wen",
             "mar", "is", "ol", "dan", "fer", "gus", "hal", "jo", "lin", "ny", "per", "quin", "rus", "sel"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
ANIMALS = ["heron", "otter", "badger", "falcon", "lynx", "marten", "raven", "stag", "wolf", "hare"]


def _name(rng):
    n = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
    return n.capitalize()


def _place(rng):
    return f"{rng.choice(COLORS)} {rng.choice(PLACES)}"


# kind -> (entity maker, value maker, statement, question)
FACT_KINDS = {
    "vault": (_place, lambda r: str(r.randint(1000, 9999)),
              "The access code for the {e} vault is {v}.", "What is the access code for the {e} vault?"),
    "password": (_place, lambda r: f"{r.choice(ANIMALS)}-{r.randint(10, 99)}",
                 "The password of the {e} archive is {v}.", "What is the password of the {e} archive?"),
    "ship": (lambda r: "the " + _name(r), lambda r: str(r.randint(10000, 99999)),
             "The cargo number of the ship called {e} is {v}.",
             "What is the cargo number of the ship called {e}?"),
    "meeting": (_name, lambda r: r.choice(WEEKDAYS),
                "{e} will arrive at the council on {v}.", "On which day will {e} arrive at the council?"),
    "town": (_name, lambda r: _name(r) + "ford",
             "{e} was born in the town of {v}.", "In which town was {e} born?"),
}


@dataclass
class DocQA:
    document: str
    question: str
    answer: str
    depth: float            # where the target fact sits, 0 = start, 1 = end
    n_tokens: int           # of the document, by the counter used
    sample: str             # formatted chat sample (prompt + answer)
    prompt: str             # formatted prompt ending with the generation prompt


def prompt_messages(document, question):
    return [{"role": "user", "content": "Read the document below, then answer the question that follows it.\n\n"
                                        f"<document>\n{document}\n</document>\n\nQuestion: {question}"}]


def _facts(rng, n):
    kind = rng.choice(sorted(FACT_KINDS))
    make_e, make_v, statement, question = FACT_KINDS[kind]
    entities, facts = set(), []
    while len(facts) < n:
        e = make_e(rng)
        if e in entities:
            continue
        entities.add(e)
        v = make_v(rng)
        facts.append((statement.format(e=e, v=v), question.format(e=e), v))
    return facts


def make_doc_qa(rng, paragraphs, target_tokens, count_tokens=approx_tokens, n_distractors=3):
    """rng: random.Random; paragraphs: real text (list of str); target_tokens: document length."""
    facts = _facts(rng, 1 + n_distractors)
    budget = target_tokens - sum(count_tokens(f[0]) + 1 for f in facts)
    start = rng.randrange(len(paragraphs))
    body, used, i = [], 0, start
    while used < budget:
        p = paragraphs[i % len(paragraphs)]
        t = count_tokens(p) + 1
        if used + t > budget:
            if used == 0:
                body.append(p[: int(len(p) * budget / t)])
            break
        body.append(p)
        used += t
        i += 1
    # plant: each fact between paragraphs at a random depth
    slots = sorted(rng.randint(0, len(body)) for _ in facts)
    order = list(range(len(facts)))
    rng.shuffle(order)
    target_slot = None
    for k, (slot, fi) in enumerate(sorted(zip(slots, order), key=lambda x: -x[0])):
        body.insert(slot, facts[fi][0])
        if fi == 0:
            target_slot = slot
    # recompute the target's final index (later inserts before it shift it)
    target_index = body.index(facts[0][0])
    depth = target_index / max(1, len(body) - 1)
    document = "\n".join(body)
    question, answer = facts[0][1], facts[0][2]
    msgs = prompt_messages(document, question)
    prompt = format_chat(msgs, add_generation_prompt=True)
    sample = format_chat(msgs + [{"role": "assistant", "content": answer}])
    return DocQA(document, question, answer, depth, count_tokens(document), sample, prompt)


def generate(paragraphs, lengths, n, seed, count_tokens=approx_tokens):
    """n samples cycling through `lengths` (token targets)."""
    rng = random.Random(seed)
    for k in range(n):
        yield make_doc_qa(rng, paragraphs, lengths[k % len(lengths)], count_tokens)
