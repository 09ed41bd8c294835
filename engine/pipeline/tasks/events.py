"""Event facts from a small grammar, so that a question can ask any part of a sentence in words the
sentence does not use.

A fact is [opener] subject verb object preposition place [when], in the present or the past:
"Oddly enough, Mira Castell stirs honey into the porridge every Sunday.", or in the passive ("Honey is stirred
into the porridge every Sunday by Mira Castell."). A question asks one slot, always in the active voice:
  object  "What does Mira Castell add to the porridge?" (the verb or one of its synonyms)
  place   "Where does Mira Castell keep the letters?" (verbs that put something somewhere)
  number  "Which drawer holds Mira's letters? Give the drawer number." (numbered places)
  time    "When did Mira Castell send the parcel?"
in one of many shapes (direct, "tell me", "remind me", "I'd like to know", fronted place, with or without a
request for the answer's form). Two facts in five share their sentence with a side clause about the same person
(another verb, a thing of the same kind, before or after the asked one, joined by "who", "and she/he/they" or a
semicolon), so that the answer is the slot of the clause the question names, not the first thing of its kind in
the sentence ("Mira bought an old lantern at the fair, and she keeps her letters in it": the letters). Verbs x synonyms x places x shapes give tens of thousands of question
wordings, so what can be learnt is "find the sentence about this person and this action, copy the slot".

Training only: none of the nouns that name a held-out kind (compose.HELDOUT_NOUNS) nor the value pools only
held-out kinds use (families.SPICES, TOOLS, BOAT_WORDS) appear here, and tests/test_families.py checks
thousands of generated sentences and questions against every held-out template with its slots open.
"""
from . import families as F

# (3rd person present, past, base, synonyms a question may use in its place, object pool, preposition, place pool)
VERBS = [
    ("keeps", "kept", "keep", ["store", "leave"], "thing", "in", "container"),
    ("hides", "hid", "hide", ["stash", "tuck away", "conceal"], "thing", "in", "container"),
    ("locks", "locked", "lock", ["shut away", "keep"], "thing", "in", "container"),
    ("leaves", "left", "leave", ["keep", "store"], "thing", "in", "container"),
    ("buries", "buried", "bury", ["hide"], "thing", "under", "ground"),
    ("stirs", "stirred", "stir", ["mix", "add", "put"], "ingredient", "into", "dish"),
    ("sprinkles", "sprinkled", "sprinkle", ["put", "scatter", "add"], "ingredient", "on", "dish"),
    ("mixes", "mixed", "mix", ["stir", "blend", "add"], "ingredient", "into", "dish"),
    ("brings", "brought", "bring", ["take", "carry"], "thing", "to", "event"),
    ("sells", "sold", "sell", ["offer", "trade"], "thing", "at", "event"),
    ("wears", "wore", "wear", ["put on", "have on"], "clothing", "to", "event"),
    ("sends", "sent", "send", ["post", "mail"], "thing", "to", "person"),
    ("lends", "lent", "lend", ["loan", "give"], "thing", "to", "person"),
    ("gives", "gave", "give", ["hand", "present"], "thing", "to", "person"),
    ("grows", "grew", "grow", ["plant", "raise"], "plant", "in", "plot"),
    ("plants", "planted", "plant", ["grow", "sow"], "plant", "in", "plot"),
    ("bakes", "baked", "bake", ["make", "prepare"], "bake", "for", "event"),
    ("cooks", "cooked", "cook", ["make", "prepare"], "meal", "for", "person"),
    ("plays", "played", "play", ["perform"], "tune", "at", "event"),
    ("orders", "ordered", "order", ["ask for", "get"], "meal", "at", "venue"),
    ("drinks", "drank", "drink", ["have"], "drink", "at", "venue"),
    ("paints", "painted", "paint", ["draw"], "picture", "for", "person"),
    ("reads", "read", "read", ["study"], "book", "in", "room"),
    ("feeds", "fed", "feed", ["give"], "food", "to", "animal"),
]
PLACING = {"in", "under"}                       # prepositions a "where" question can ask about
NUMBERED = ["drawer", "box", "crate", "cabinet", "bin", "shelf", "slot", "cubby", "pigeonhole", "tray", "chest",
            "case", "stall", "room", "hut"]

ADJ = ["old", "blue", "red", "green", "copper", "tin", "oak", "small", "big", "painted", "cracked", "iron",
       "wicker", "leather", "yellow", "dusty", "new", "battered"]
POOLS = {
    "thing": ["letters", "savings", "medals", "photographs", "a diary", "a pocket watch", "a silver spoon",
              "a bundle of keys", "old coins", "a wool blanket", "a toy train", "a jar of buttons", "a map",
              "a harmonica", "a pair of gloves", "a deck of cards", "a magnifying glass", "a brass bell",
              "a hand mirror", "a chess piece", "a seashell", "a ledger", "an hourglass", "a fountain pen",
              "a clay whistle", "a tin soldier", "a glass marble", "a wooden spoon", "a feather", "a ribbon"],
    "ingredient": ["honey", "garlic", "black pepper", "ginger", "lemon peel", "butter", "thyme", "rosemary",
                   "basil", "vinegar", "molasses", "walnuts", "raisins", "chilli", "oregano", "paprika", "coriander",
                   "mint", "parsley", "sage", "dill", "cinnamon", "cloves", "mustard", "olive oil", "brown sugar",
                   "cream", "sea salt", "orange zest", "poppy seeds", "sesame", "maple syrup"],
    "clothing": ["a straw hat", "a green scarf", "a velvet jacket", "red boots", "a bow tie", "a wool cap",
                 "a silk shawl", "a striped waistcoat", "a rain cape", "white gloves", "a felt hat", "a linen apron"],
    "plant": ["tomatoes", "roses", "potatoes", "beans", "tulips", "lavender", "sunflowers", "cabbages", "leeks",
              "strawberries", "onions", "marigolds", "carrots", "peas", "pumpkins", "daffodils"],
    "bake": ["a lemon cake", "rye bread", "apple pie", "ginger biscuits", "a plum tart", "scones", "a honey loaf",
             "cheese rolls", "a cherry pie", "oat cookies"],
    "meal": ["a mushroom stew", "fried eggs", "pancakes", "a bean curry", "roast chicken", "fish pie",
             "a cheese omelette", "lentil broth", "lamb chops", "noodles"],
    "tune": ["an old waltz", "a sea shanty", "a lullaby", "a march", "a polka", "a hymn", "a jig", "a ballad"],
    "drink": ["cold cider", "black coffee", "mint tea", "lemonade", "hot chocolate", "ginger beer", "barley water"],
    "picture": ["a lighthouse", "a portrait", "a sunset", "a windmill", "a vase of tulips", "a harbour scene",
                "a white horse", "a mountain lake"],
    "book": ["a book of riddles", "old newspapers", "poetry", "a cookbook", "a train timetable", "ghost stories",
             "a history of the town", "letters from home"],
    "food": ["carrots", "oats", "bread crusts", "apples", "seeds", "hay", "fish scraps", "sugar lumps"],
}
PLACES = {
    "container": lambda r: f"the {r.choice(ADJ)} {r.choice(['cupboard', 'biscuit tin', 'chest', 'cellar', 'attic', 'shed', 'wardrobe', 'suitcase', 'barrel', 'basket', 'desk', 'jar', 'sack', 'cabinet'])}",
    "ground": lambda r: f"the {r.choice(['old oak', 'apple tree', 'garden wall', 'stone bench', 'rose bush', 'back steps', 'hen house', 'well'])}",
    "dish": lambda r: f"the {r.choice(['stew', 'porridge', 'pancake batter', 'bread dough', 'sauce', 'pie filling', 'salad', 'curry', 'gravy', 'cake mix', 'omelette', 'jam'])}",
    "event": lambda r: f"the {r.choice(['harvest fair', 'school concert', 'town meeting', 'summer market', 'chess club', 'flower show', 'village feast', 'church bazaar', 'book sale', 'spring dance', 'winter fair', 'regatta'])}",
    "person": lambda r: r.choice([f"{r.choice(['a cousin', 'an old friend', 'a neighbour', 'the vicar', 'the teacher', 'a nephew', 'an aunt'])} in {F.town(r)}", f"{F.person(r)}"]),
    "plot": lambda r: f"the {r.choice(['back garden', 'allotment', 'window boxes', 'greenhouse', 'orchard', 'front yard', 'field by the river', 'old quarry'])}",
    "venue": lambda r: f"the {F.place(r)} {r.choice(['cafe', 'inn', 'tavern', 'diner', 'tea room', 'canteen'])}",
    "room": lambda r: f"the {r.choice(['kitchen', 'library', 'study', 'garden shed', 'hayloft', 'waiting room', 'bath', 'attic'])}",
    "animal": lambda r: f"the {r.choice(['goats', 'ducks', 'pony', 'rabbits', 'geese', 'pigs', 'donkey', 'hens', 'cows'])}",
}
OPENERS = ["", "", "", "", "Oddly enough, ", "As it happens, ", "Few people know that ", "It is no secret that ",
           "Everyone in the village knows that ", "According to the diary, ", "Between you and me, ",
           "The neighbours say that ", "For years now, ", "Funnily enough, ", "As far as anyone can tell, ",
           "To this day, ", "Believe it or not, "]
WHEN = ["every Sunday", "on Fridays", "each spring", "once a year", "every morning", "in the evenings",
        "after dinner", "at weekends", "in winter"]
ASK_OBJECT = ["What {aux} {e} {do}{pp}?", "What is it that {e} {did}{pp}?", "Tell me what {e} {did}{pp}.",
              "Jog my memory: what {aux} {e} {do}{pp}?", "I'd like to know what {e} {did}{pp}.", "Do you know what {e} {did}{pp}?",
              "What exactly {aux} {e} {do}{pp}?", "Which thing {aux} {e} {do}{pp}?", "{PP}, what {aux} {e} {do}?",
              "Any idea what {e} {did}{pp}?", "Can you tell me what {e} {did}{pp}?", "And what {aux} {e} {do}{pp}?",
              "What did the text say {e} {did}{pp}?", "Hmm, what {aux} {e} {do}{pp}?", "{e} {did}{pp} what?"]
ASK_PLACE = ["Where {aux} {e} {do} {o}?", "Where {be} {e}'s {o_bare} {kept}?", "Tell me where {e} {did} {o}.",
             "In what place {aux} {e} {do} {o}?", "Do you remember where {e} {did} {o}?",
             "Where would I find the {o_bare} that {e} {did}?", "Remind me where {e} {did} {o}."]
ASK_NUMBER = ["Which {c} {aux} {e} {do} {o} in?", "In which {c} {aux} {e} {do} {o}?",
              "Where {aux} {e} {do} {o}? Give the {c} number.", "What is the number of the {c} where {e} {did} {o}?",
              "{e} {did} {o} in which {c}?", "Which {c} holds {e}'s {o_bare}? Just the number."]
ASK_TIME = ["When {aux} {e} {do} {o}{pp}?", "How often {aux} {e} {do} {o}{pp}?", "Tell me when {e} {did} {o}{pp}."]
SIDE_CLAUSES = 0.4                # the share of facts told with a side clause (_sentence)
# the share of facts without a side clause told in the passive ("Letters were hidden in the old chest by Mira
# Castell."), still asked in the active ("What did Mira Castell hide ...?"): a question's person is not always the
# sentence's first words, nor its answer the phrase after the verb
PASSIVE = 0.4
PARTICIPLES = {"hide": "hidden", "give": "given", "wear": "worn", "grow": "grown"}    # the others are the past
MASS_IN_S = {"molasses"}
FORM = ["", "", "", "", " Answer briefly.", " Just the answer, please.", " Keep it short.", " One phrase only."]


def _bare(o):
    """'a diary' -> 'diary' (the object named again in a question)."""
    for art in ("a ", "an ", "the "):
        if o.startswith(art):
            return o[len(art):]
    return o


class EventKind:
    """One verb and one kind of place for a whole document (so its distractors share both), facts of any
    person; fact(rng) -> (entity, value, statement, question) like families.FactKind."""
    name = "event"

    def __init__(self, rng):
        self.verb = rng.choice(VERBS)
        self.slot = rng.choices(["object", "place", "number", "time"], weights=[6, 2, 2, 1])[0]
        if self.slot == "place" and self.verb[5] not in PLACING or self.slot == "number" and self.verb[6] != "container":
            self.slot = "object"
        self.past = rng.random() < 0.5
        self.shared_place = PLACES[self.verb[6]](rng) if rng.random() < 0.6 else None
        self.container = rng.choice(NUMBERED)
        self.when = rng.choice(WHEN)

    def fact(self, r, entity=None):
        pres, past, base, syn, pool, prep, where = self.verb
        e = entity or F.person(r)
        o = r.choice(POOLS[pool])
        place = self.shared_place or PLACES[where](r)
        if self.slot == "number":
            number = str(r.randint(2, 999))
            place = f"{self.container} {number}"
        when = f" {self.when}" if self.slot == "time" else ""
        did = past if self.past else pres
        opener = r.choice(OPENERS)
        st = f"{opener}{self._sentence(r, e, did, o, prep, place, when, passive_ok=bool(opener))}."
        q_do = r.choice([base] + syn) if self.slot == "object" else base
        slots = dict(e=e, do=q_do, did=did if q_do == base else _tensed(q_do, self.past),
                     aux="did" if self.past else "does", pp=f" {prep} {place}", PP=f"{prep.capitalize()} {place}",
                     o=_the(o) if pool == "thing" else o, o_bare=_bare(o), c=self.container,
                     be="is" if o.startswith(("a ", "an ")) else "are", kept="kept" if prep == "in" else "hidden")
        value = {"object": o, "place": place, "number": place.split()[-1], "time": self.when}[self.slot]
        shape = {"object": ASK_OBJECT, "place": ASK_PLACE, "number": ASK_NUMBER, "time": ASK_TIME}[self.slot]
        q = r.choice(shape).format(**slots) + r.choice(FORM)
        st, q = st[0].upper() + st[1:], q[0].upper() + q[1:]
        return e, value, st, q

    def _sentence(self, r, e, did, o, prep, place, when, passive_ok=True):
        """The asked clause alone (in the passive PASSIVE of the time where passive_ok: after an opener, so that the
        thing keeps its lower case and is the answer word for word), or with a side clause about the same person
        (a distractor of the same kind)."""
        rest = f"{o} {prep} {place}{when}"
        asked = f"{did} {rest}"
        if r.random() >= SIDE_CLAUSES:
            if passive_ok and r.random() < PASSIVE and self.verb[2] != "drink":        # not "cold cider was drunk"
                return f"{o} {self._be(o)} {PARTICIPLES.get(self.verb[2], self.verb[1])} {prep} {place}{when} by {e}"
            return f"{e} {asked}"
        words = {self.verb[2], *self.verb[3]}
        others = [v for v in VERBS if not words & {v[2], *v[3]}]
        same = [v for v in others if v[4] == self.verb[4]]
        pres, past, base, _, pool, prep2, where = r.choice(same if same and r.random() < 0.7 else others)
        side_rest = f"{r.choice([x for x in POOLS[pool] if x != o])} {prep2} {PLACES[where](r)}"
        side = f"{past if self.past else pres} {side_rest}"
        pronoun = r.choice([e.split()[0], "they", "she", "he"])
        if pronoun == "they":                      # "they keep ..." / "they kept ...": the base form in the present
            then = f"{did if self.past else self.verb[2]} {rest}"
            side_then = f"{past if self.past else base} {side_rest}"
        else:
            then, side_then = asked, side
        return r.choice([f"{e}, who {side}, {asked}",
                         f"{e} {side}, and {pronoun} {then}",
                         f"{e} {side}; {pronoun} also {then}",
                         f"{e} {asked}, and {pronoun} {side_then} too"])

    def _be(self, o):
        """'was'/'were' (or 'is'/'are' in the present) for a thing as the subject of a passive."""
        head = o.split(" of ")[0].split(" from ")[0].split()[-1]
        plural = not o.startswith(("a ", "an ")) and head.endswith("s") and head not in MASS_IN_S
        return ("were" if plural else "was") if self.past else ("are" if plural else "is")


def _the(o):
    """A thing named again in a question: 'a diary' -> 'the diary', 'letters' -> 'the letters'."""
    return "the " + _bare(o)


def _tensed(verb, past):
    """A synonym in the tense of the statement ('put on' -> 'puts on' / 'put on'); irregular pasts are listed."""
    head, _, rest = verb.partition(" ")
    if past:
        head = IRREGULAR_PAST.get(head, head + ("d" if head.endswith("e") else "ed"))
    elif head == "have":
        head = "has"
    elif head.endswith("y") and head[-2] not in "aeiou":
        head = head[:-1] + "ies"
    else:
        head = head + ("es" if head.endswith(("s", "sh", "ch", "x")) else "s")
    return head + (" " + rest if rest else "")


IRREGULAR_PAST = {"leave": "left", "hide": "hid", "shut": "shut", "put": "put", "take": "took", "give": "gave",
                  "make": "made", "get": "got", "have": "had", "draw": "drew", "sow": "sowed", "hand": "handed",
                  "tuck": "tucked", "mail": "mailed", "post": "posted", "stir": "stirred", "scatter": "scattered",
                  "plant": "planted", "raise": "raised", "offer": "offered", "trade": "traded", "loan": "loaned",
                  "present": "presented", "blend": "blended", "add": "added", "mix": "mixed", "stash": "stashed",
                  "conceal": "concealed", "store": "stored", "carry": "carried", "keep": "kept", "study": "studied",
                  "prepare": "prepared", "perform": "performed", "ask": "asked", "grow": "grew"}


def words_in_use():
    """Every literal word this grammar can write (tests check none is a held-out kind's noun)."""
    import re
    text = " ".join([" ".join(v[3]) + " " + " ".join(v[:3]) for v in VERBS] + NUMBERED + ADJ + OPENERS + WHEN +
                    list(PARTICIPLES.values()) + ["by was were is are"] +
                    [w for p in POOLS.values() for w in p] + ASK_OBJECT + ASK_PLACE + ASK_NUMBER + ASK_TIME)
    return set(re.findall(r"[a-z]+", re.sub(r"\{\w+\}", " ", text.lower())))

