"""Templated chat Q&A from the corpus records (corpus/build.py writes them):

  fact        Factbook: "What is the capital of France?" -> "The capital of France is Paris."
  definition  WordNet / GCIDE: "What does 'ephemeral' mean?" -> "Ephemeral (adjective): lasting a very short time."
  faq         real FAQ pairs (Python FAQ, Debian FAQ, fortunes Q:/A:) used as they are.

Question and answer wording is drawn from several templates with a seeded RNG.
"""
import json
import os
import random
import re

from .chat_template import qa_sample

FACT_QUESTIONS = [
    "What is the {field} of {country}?",
    "According to the CIA World Factbook, what is the {field} of {country}?",
    "Tell me the {field} of {country}.",
    "{country}: what is its {field}?",
]
FACT_ANSWERS = [
    "The {field} of {country} is {value}.",
    "{value}.",
    "According to the 2015 CIA World Factbook, the {field} of {country} is {value}.",
]
DEF_QUESTIONS = [
    "What does \"{word}\" mean?",
    "Define the word \"{word}\".",
    "What is the meaning of \"{word}\"?",
    "What is {article} {word}?",
    "Can you explain the {pos} \"{word}\"?",
]
DEF_ANSWERS = [
    "\"{Word}\" ({pos}) means {definition}.",
    "{Word}: {definition}.",
    "As {article_pos} {pos}, \"{word}\" means {definition}.",
]

# Factbook fields that read well as "the <field> of <country>"; nested ones keep their last part.
_FIELD_NAMES = {
    "Capital - name": "capital", "Population": "population", "Area - total": "total area",
    "Climate": "climate", "Terrain": "terrain", "Location": "location", "Languages": "languages",
    "Religions": "religions", "Natural resources": "natural resources", "Currency": None,
    "Government type": "government type", "Independence": "independence date",
    "National holiday": "national holiday", "Elevation extremes - highest point": "highest point",
    "Elevation extremes - lowest point": "lowest point", "Coastline": "coastline length",
    "Ethnic groups": "ethnic groups", "Life expectancy at birth - total population": "life expectancy at birth",
    "Median age - total": "median age", "GDP (purchasing power parity)": "GDP (purchasing power parity)",
    "GDP - per capita (PPP)": "GDP per capita (PPP)", "Exports - commodities": "main exports",
    "Imports - commodities": "main imports", "Agriculture - products": "main agricultural products",
    "Industries": "main industries", "Legal system": "legal system", "Suffrage": "voting age",
    "Internet country code": "internet country code", "Map references": "map region",
    "Population growth rate": "population growth rate", "Birth rate": "birth rate",
    "Death rate": "death rate", "Geographic coordinates": "geographic coordinates",
    "Labor force": "labor force", "Unemployment rate": "unemployment rate",
    "Airports": "number of airports", "Railways - total": "total railway length",
    "Military branches": "military branches", "Flag description": "flag", "National anthem - name": "national anthem",
    "National symbol(s)": "national symbol", "Land boundaries - total": "total length of land boundaries",
    "Border countries": "border countries", "Urbanization - urban population": "urban population share",
    "Major urban areas - population": "major cities and their populations", "Time difference": None,
}


def load_records(corpus_dir, kind):
    path = os.path.join(corpus_dir, "records", kind + ".jsonl")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _article(word):
    return "an" if word[:1].lower() in "aeiou" else "a"


def fact_qa(fact, rng):
    field = _FIELD_NAMES.get(fact["field"])
    if field is None and fact["field"].startswith("Capital - name"):
        field = "capital"
    if field is None or not fact["value"] or len(fact["value"]) > 400:
        return None
    value = fact["value"].rstrip(".")
    kw = {"field": field, "country": fact["country"], "value": value}
    q = rng.choice(FACT_QUESTIONS).format(**kw)
    a = rng.choice(FACT_ANSWERS).format(**kw)
    return q[0].upper() + q[1:], a[0].upper() + a[1:]


def definition_qa(d, rng):
    word, definition = d["word"], d["definition"].strip().rstrip(".;")
    if d.get("source") == "gcide" and word[1:].islower():
        word = word.lower()  # GCIDE capitalises every headword
    if not definition or len(definition) > 300 or not re.match(r"^[A-Za-z][A-Za-z '\-]*$", word):
        return None
    pos = d.get("pos", "word")
    pos = {"n.": "noun", "v. t.": "verb", "v. i.": "verb", "v.": "verb", "a.": "adjective",
           "adv.": "adverb"}.get(pos, pos)
    kw = {"word": word, "Word": word[:1].upper() + word[1:], "definition": definition, "pos": pos,
          "article": _article(word), "article_pos": _article(pos).capitalize()}
    templates = DEF_QUESTIONS if pos == "noun" else [t for t in DEF_QUESTIONS if "{article}" not in t]
    q = rng.choice(templates).format(**kw)
    a = rng.choice(DEF_ANSWERS).format(**kw)
    if d.get("examples"):
        a += " For example: \"" + d["examples"][0].strip() + "\""
    return q, a


def faq_qa(pair, rng):
    q, a = pair["question"].strip(), pair["answer"].strip()
    if not q or not a or len(a) > 6000:
        return None
    return q, a


def generate(corpus_dir, seed=0, max_facts=None, max_definitions=None, repeats_faq=3):
    """Yields (question, answer, formatted_chat_sample, origin) tuples in a seeded order."""
    rng = random.Random(seed)
    items = []
    for f in load_records(corpus_dir, "fact"):
        items.append(("fact", f))
    for d in load_records(corpus_dir, "definition"):
        items.append(("definition", d))
    for p in load_records(corpus_dir, "faq"):
        items.extend([("faq", p)] * repeats_faq)  # few and real: seen several times, differently placed
    rng.shuffle(items)
    counts = {"fact": 0, "definition": 0}
    limits = {"fact": max_facts, "definition": max_definitions}
    make = {"fact": fact_qa, "definition": definition_qa, "faq": faq_qa}
    for kind, rec in items:
        if kind in limits and limits[kind] is not None and counts[kind] >= limits[kind]:
            continue
        qa = make[kind](rec, rng)
        if qa is None:
            continue
        if kind in counts:
            counts[kind] += 1
        yield qa[0], qa[1], qa_sample(qa[0], qa[1]), kind
