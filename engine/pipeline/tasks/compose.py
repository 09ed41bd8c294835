"""Facts and questions built from parts, so that no one sentence shape or question phrasing is learnt.

A composed fact is "entity E has attribute A whose value is V", written in one of many sentence frames
and asked in one of many question frames. Attributes come from a hand list of everyday nouns and, when the
reference data is at hand, from WordNet nouns (tens of thousands), so the noun in the question is almost
never one seen with that frame before: what can be learnt is "find the sentence that names E and A, copy V".
Plain questions about reference facts are composed the same way: a field's many names times many frames.

Training only. Nothing here may produce a held-out family (families.HELDOUT_*): the nouns of the held-out
kinds are excluded (HELDOUT_NOUNS), and families.check_disjoint() matches every frame below against every
held-out sentence and question with the noun slot open (frames_matching).
"""
import re

from . import families as F

# nouns that name the held-out kinds (families.HELDOUT_KINDS) or their wording: never composed
HELDOUT_NOUNS = {"boat", "locker", "key", "spare key", "soup", "spice", "ingredient", "journey", "trip",
                 "wedding", "marriage", "phone", "phone number", "telephone", "bakery", "pier", "gym"}

NOUNS = ["nickname", "pet", "cat", "horse", "pony", "donkey", "goat", "parrot", "canary", "tortoise", "garden",
         "car", "bicycle", "motorbike", "van", "tractor", "wagon", "sledge", "kite", "umbrella", "hat", "scarf",
         "coat", "ring", "watch", "clock", "lamp", "lantern", "violin", "guitar", "piano", "drum", "song",
         "poem", "painting", "statue", "novel", "diary", "notebook", "recipe", "restaurant", "cafe", "shop",
         "inn", "hotel", "house", "cottage", "cabin", "barn", "mill", "farm", "orchard", "vineyard", "street",
         "village", "town", "island", "river", "lake", "mountain", "forest", "valley", "team", "club", "band",
         "choir", "company", "newspaper", "magazine", "school", "teacher", "doctor", "lawyer", "dentist",
         "neighbour", "cousin", "uncle", "aunt", "grandmother", "best friend", "partner", "assistant", "coach",
         "captain", "mentor", "favourite colour", "favourite fruit", "favourite flower", "favourite tree",
         "favourite bird", "favourite dish", "favourite game", "favourite film", "favourite author", "motto",
         "password", "code word", "PIN", "account number", "licence number", "seat number", "table number",
         "room number", "house number", "ticket number", "badge number", "postcode", "birthday", "anniversary",
         "lucky number", "shoe size", "blood type", "hometown", "birthplace", "first school", "first job",
         "job", "hobby", "sport", "pen name", "middle name", "maiden name", "stage name", "signature dish",
         "tent", "flag", "banner", "crest", "emblem", "mascot", "anthem", "slogan", "logo colour", "shield",
         "sword", "bow", "compass", "map", "telescope", "camera", "radio", "typewriter", "chessboard", "kettle",
         "teapot", "mug", "bell", "cart", "ferry ticket", "train pass", "locomotive", "glider", "balloon",
         "caravan", "yacht club", "rowing club", "allotment", "greenhouse", "workshop", "studio", "office",
         "desk", "laboratory", "library", "bookshop", "pharmacy", "clinic", "surgery", "warehouse", "garage"]
ADJECTIVES = ["old", "small", "little", "big", "new", "red", "blue", "green", "wooden", "shabby", "beloved",
              "famous", "noisy", "quiet", "lovely", "second", "first", "only", "favourite", "well-known"]
HAVING = ["owns", "has had for years", "looks after", "keeps in the back yard", "inherited from an aunt",
          "bought last spring", "takes everywhere", "shares with a neighbour", "built by hand", "won at a fair",
          "uses every day", "found in the attic", "brought home from the coast", "is so proud of"]
ADJUNCTS = ["In those days", "By then", "As the records show", "According to the old ledger", "Since last winter",
            "For many years", "As everyone in the street knows", "Strangely enough", "To nobody's surprise",
            "Back in the spring", "On the first page of the register", "Unlike the others"]

# {e} entity, {a} attribute noun, {v} value, {p} possessive (their/his/her/its), {adj}, {has}, {adj1} adjunct
STATEMENTS = [
    "The {a} of {e} is {v}.", "{e}'s {a} is called {v}.", "{e}'s {a} goes by the name {v}.",
    "{e} calls {p} {a} {v}.", "{e} named {p} {a} {v}.", "{v} is what {e} calls {p} {a}.",
    "The {adj} {a} that {e} {has} is called {v}.", "{adj1}, {e}'s {a} was {v}.",
    "Ask anyone and they will tell you that {e}'s {a} is {v}.", "{e} has a {a}; it is called {v}.",
    "{e} has an {adj} {a} by the name of {v}.", "There is a {a} belonging to {e}, and its name is {v}.",
    "{e}, whose {a} is {v}, came by later.", "Among other things, {e} is known for a {a} called {v}.",
    "If you ask {e} about the {a}, the answer is always {v}.", "Card found in the drawer: {a} of {e}: {v}.",
    "{e} - {a}: {v}.", "Note to self: {e}'s {a} = {v}.", "When it comes to the {a}, {e} chose {v}.",
    "{v} has been the {a} of {e} for as long as anyone remembers.", "Everyone was told that {e}'s {a} is {v}.",
    "{e} wrote down {v} as {p} {a}.", "It turned out that the {a} of {e} was {v}.",
    "The register gives {v} as the {a} of {e}.", "{adj1}, {e} settled on {v} for {p} {a}.",
]
QUESTIONS = [
    "What is {e}'s {a} called?", "What is the name of {e}'s {a}?", "What did {e} name {p} {a}?",
    "What is the {a} of {e}?", "Could you tell me the {a} of {e}?", "Remind me: what is {e}'s {a}?",
    "Which {a} does {e} have?", "What's {e}'s {a}?", "Do you remember what {e}'s {a} is called?",
    "I forgot the {a} of {e}. What is it?", "What does {e} call {p} {a}?", "{e}'s {a} - what is it?",
    "Say the {a} of {e}.", "Name {e}'s {a}.", "So, what is {e}'s {a}?", "Quick one: {e}'s {a}?",
    "Look in the text: what is the {a} of {e}?", "What does the text give as the {a} of {e}?",
    "what is {e}s {a}", "Tell me, what {a} does {e} have?", "Any idea what {e}'s {a} is?",
    "I need to know {e}'s {a}.", "What was the {a} of {e} again?", "Which one is {e}'s {a}?",
]


def entity(rng):
    return rng.choice([F.person, F.person, F.place, F.town, lambda r: "the " + F.invented(r) + " company",
                       lambda r: "the " + F.invented(r) + " family", lambda r: "Captain " + F.invented(r),
                       lambda r: "Dr " + rng.choice(F.SURNAMES), lambda r: "the " + F.place(r) + " club"])(rng)


def value(rng):
    return rng.choice([
        lambda: F.any_value(rng), lambda: F.any_value(rng),
        lambda: "the " + rng.choice(F.PLACE_A) + " " + rng.choice(F.ANIMALS).capitalize(),
        lambda: F.invented(rng) + " " + F.invented(rng), lambda: f"{rng.choice('ABCDEFGHJKLMNPRSTVWXZ')}-{rng.randint(10, 9999)}",
        lambda: f"{rng.randint(2, 999)} {rng.choice(['metres', 'kilos', 'miles', 'pounds', 'years', 'coins'])}",
        lambda: rng.choice(F.OBJECTS), lambda: rng.choice(F.INSTRUMENTS + F.FRUITS + F.JOBS)])()


EVERYDAY = [n for n in NOUNS if n not in HELDOUT_NOUNS]


def nouns(data=None):
    """The attribute pool: the hand list plus single WordNet nouns (when the reference data is loaded)."""
    pool = list(EVERYDAY)
    if data is not None and getattr(data, "definitions", None):
        pool += sorted({d["word"] for d in data.definitions if d.get("pos") == "noun" and d["word"].isalpha()
                        and d["word"].islower() and 3 <= len(d["word"]) <= 12 and d["word"] not in HELDOUT_NOUNS})
    return pool


def composed_kind(rng, noun_pool):
    """A FactKind-like triple maker for one attribute: fact(rng, entity=None) -> (e, v, statement, question)."""
    a = rng.choice(noun_pool) if rng.random() < 0.5 else rng.choice(EVERYDAY)     # half everyday, half any noun

    class Kind:
        name = "composed"

        @staticmethod
        def fact(r, entity_=None):
            e = entity_ or entity(r)
            v = value(r)
            slots = dict(e=e, a=a, v=v, p=r.choice(["their", "his", "her", "its"]), adj=r.choice(ADJECTIVES),
                         has=r.choice(HAVING), adj1=r.choice(ADJUNCTS))
            frames = [f for f in STATEMENTS if not (f.startswith("{v}") and v[:1].islower())]
            st = r.choice(frames).format(**slots)       # a value is written as answered, never re-cased
            q = r.choice(QUESTIONS).format(**slots)
            return e, v, st[0].upper() + st[1:], q[0].upper() + q[1:]
    return Kind


# plain questions about reference facts: a field's names x frames ({n} the name, {c} the country)
FIELD_NAMES = {
    "capital": ["capital", "capital city", "national capital", "chief city", "main city"],
    "currency": ["currency", "official currency", "money", "legal tender", "national currency"],
    "internet code": ["internet country code", "internet code", "top-level domain", "web domain", "domain suffix"],
    "languages": ["languages", "main languages", "spoken languages", "official languages"],
    "population": ["population", "number of inhabitants", "head count"],
    "location": ["location", "place on the map", "position in the world"],
    "national holiday": ["national holiday", "national day", "main public holiday"],
    "independence": ["independence date", "date of independence", "year of independence"],
}
FACT_FRAMES = ["What is the {n} of {c}?", "What's {c}'s {n}?", "Tell me the {n} of {c}.", "{c}: {n}?",
               "Do you happen to know the {n} of {c}?", "I'd like to know the {n} of {c}.",
               "Could you name the {n} of {c}?", "For {c}, what is the {n}?", "Give me {c}'s {n}.",
               "Any idea what the {n} of {c} is?", "The {n} of {c}, please.", "I need {c}'s {n}.",
               "What would you say is the {n} of {c}?", "Which is the {n} of {c}?", "and the {n} of {c}?",
               "My friend asked me about the {n} of {c}. What is it?", "Help me out: the {n} of {c}?"]


def fact_question(rng, field, country):
    names = FIELD_NAMES.get(field)
    if not names:
        return None
    q = rng.choice(FACT_FRAMES).format(n=rng.choice(names), c=country)
    return q[0].upper() + q[1:]


WORD = r"[\w'{}-]+"
SLOT = {"a": 3, "n": 3, "p": 1, "adj": 1, "e": 3, "c": 3, "v": 2}     # words a slot may hold when matching


def frame_regex(frame):
    """A frame as a regular expression, each slot open to a short phrase (SLOT words; a held-out template's
    own slots are literal text like '{e}', one word here)."""
    out = []
    for part in re.split(r"(\{\w+\})", frame):
        m = re.fullmatch(r"\{(\w+)\}", part)
        if m and m.group(1) in SLOT:
            out.append(f"{WORD}(?: {WORD}){{0,{SLOT[m.group(1)] - 1}}}")
        else:
            out.append(".+" if m else re.escape(part))
    return re.compile("^" + "".join(out) + "$", re.IGNORECASE)


def frames_matching(template):
    """The frames of this file that could produce `template` (a held-out sentence or question)."""
    return [f for f in STATEMENTS + QUESTIONS + FACT_FRAMES if frame_regex(f).match(template.strip())]
