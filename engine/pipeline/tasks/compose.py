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


# facts about what someone does, where, when, how much: (statement, questions, value maker). {o} an object,
# {ev} an event, {dish} a dish, {p} a possessive; none is a held-out kind (no spare key, soup, journey, phone)
OBJECTS_O = ["coat", "letters", "savings", "tools", "medals", "photographs", "spare gloves", "notebooks", "records",
             "seeds", "old coins", "fishing rods", "paints", "winter boots", "recipes", "maps"]
EVENTS = ["harvest fair", "school concert", "town meeting", "birthday party", "summer market", "chess tournament",
          "retirement dinner", "boat race", "flower show", "village feast"]
DISHES = ["bread", "stew", "pie", "porridge", "cake", "salad", "sauce", "pudding"]
CONTAINERS = ["cupboard", "drawer", "shed", "attic", "cellar", "tin box", "chest", "cabinet", "basket", "barn"]


def _where(r):
    return r.choice([lambda: f"the {r.choice(ADJECTIVES)} {r.choice(CONTAINERS)}", lambda: F.place(r),
                     lambda: F.town(r), lambda: f"room {r.randint(2, 400)}"])()


def _thing(r):
    return r.choice(F.OBJECTS + F.FRUITS + [f"a {c} scarf" for c in F.COLORS] + [f"the {i}" for i in F.INSTRUMENTS])


def _date(r):
    return r.choice([f"{r.choice(F.MONTHS)} {r.randint(1, 28)}", r.choice(F.WEEKDAYS), f"{r.randint(1200, 2020)}"])


def _money(r):
    return r.choice([f"{r.randint(2, 900)} dollars", f"{r.randint(2, 90)} pounds", f"{r.randint(2, 500)} crowns"])


ACTIONS = [
    ("{e} keeps {p} {o} in {v}.", ["Where does {e} keep {p} {o}?", "In what place are {e}'s {o} kept?"], _where),
    ("The {o} of {e} are stored in {v}.", ["Where are the {o} of {e} stored?", "Where does {e} store the {o}?"], _where),
    ("{e} brought {v} to the {ev}.", ["What did {e} bring to the {ev}?", "What was it that {e} brought to the {ev}?"], _thing),
    ("For the {ev}, {e} wore {v}.", ["What did {e} wear for the {ev}?", "What was {e} wearing at the {ev}?"], _thing),
    ("The {ev} of {e} will take place on {v}.", ["When will the {ev} of {e} take place?", "On what day is {e}'s {ev}?"], _date),
    ("{e} always mixes {v} into the {dish}.", ["What does {e} mix into the {dish}?", "What goes into {e}'s {dish}?"], _thing),
    ("Most evenings {e} can be found at {v}.", ["Where can {e} be found most evenings?", "Where is {e} in the evenings?"], _where),
    ("{e} paid {v} for the {o}.", ["How much did {e} pay for the {o}?", "What did the {o} cost {e}?"], _money),
    ("{e} hid {v} under the floor of the {c}.", ["What did {e} hide under the floor of the {c}?",
                                                  "What is hidden under the {c} floor by {e}?"], _thing),
    ("{e} sent {v} to a cousin abroad.", ["What did {e} send abroad?", "What did {e} send to the cousin?"], _thing),
    ("In {p} pocket {e} carries {v}.", ["What does {e} carry in {p} pocket?", "What is in {e}'s pocket?"], _thing),
    ("Before the storm, {e} locked {v} in the {c}.", ["What did {e} lock in the {c}?",
                                                     "What was locked in the {c} by {e}?"], _thing),
    ("{e} moved to {v} after the war.", ["Where did {e} move after the war?", "After the war, where did {e} go?"], _where),
    ("The last letter from {e} arrived on {v}.", ["When did the last letter from {e} arrive?",
                                                 "On which date did {e}'s last letter come?"], _date),
    ("{e} lent {v} to a neighbour and never got it back.", ["What did {e} lend to a neighbour?",
                                                           "What did the neighbour borrow from {e}?"], _thing),
    ("At the {ev}, {e} sold {v}.", ["What did {e} sell at the {ev}?", "What was {e} selling at the {ev}?"], _thing),
    ("{e} buried {v} at the foot of the old oak.", ["What did {e} bury by the oak?",
                                                   "What lies buried at the foot of the oak, according to {e}?"], _thing),
    ("Every year {e} gives the school {v}.", ["What does {e} give the school every year?",
                                             "What does the school get from {e} each year?"], _money),
]


def action_kind(rng):
    """A FactKind-like maker for one action frame (what, where, when, how much someone does something)."""
    statement, questions, make = rng.choice(ACTIONS)
    fill = dict(o=rng.choice(OBJECTS_O), ev=rng.choice(EVENTS), dish=rng.choice(DISHES), c=rng.choice(CONTAINERS))

    class Kind:
        name = "action"

        @staticmethod
        def fact(r, entity_=None):
            e = entity_ or F.person(r)
            slots = dict(fill, e=e, v=make(r), p=r.choice(["their", "his", "her"]))
            st, q = statement.format(**slots), r.choice(questions).format(**slots)
            return e, slots["v"], st[0].upper() + st[1:], q[0].upper() + q[1:]
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
SLOT = {"a": 3, "n": 3, "p": 1, "adj": 1, "e": 3, "c": 3, "v": 2, "o": 2, "ev": 2, "dish": 1}     # words a slot may hold when matching


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
    frames = STATEMENTS + QUESTIONS + FACT_FRAMES + [a[0] for a in ACTIONS] + [q for a in ACTIONS for q in a[1]]
    return [f for f in frames if frame_regex(f).match(template.strip())]
