"""Task families, split by construction into TRAIN and HELDOUT.

A family is a way a skill is asked: a fact kind (what is planted, in which sentence shapes, asked in
which words), a HashHop line format and question, a chat question phrasing, a greeting, a request the
model cannot serve. Training rows (skills.py) draw only from TRAIN; the evaluation sets (heldout.py)
only from HELDOUT, and haystack text for evaluation comes only from sources that no training stage
ever read (HELDOUT_HAY_SOURCES). tests/test_families.py checks that no kind, sentence shape, question
phrasing, line format or chat phrasing appears on both sides.

Values are made from word pools; held-out kinds use pools of their own where the pool itself would
give the kind away (boat names, spices), and shared generic pools (names, numbers) otherwise.
"""
import functools


SYLLABLES = ["ka", "lo", "mi", "ra", "ten", "dor", "vin", "sa", "bel", "tor", "ann", "el", "ric", "wen",
             "mar", "is", "ol", "dan", "fer", "gus", "hal", "jo", "lin", "ny", "per", "quin", "rus", "sel"]
FIRST = ["Anna", "Ben", "Clara", "David", "Elena", "Frank", "Grace", "Henry", "Iris", "Jonas", "Karen", "Leo",
         "Maria", "Nathan", "Olga", "Peter", "Rosa", "Samuel", "Tessa", "Victor", "Walter", "Yusuf", "Zoe",
         "Hugo", "Lena", "Marco", "Nora", "Oscar", "Paula", "Ruth", "Simon", "Tomas", "Ursula", "Vera", "Amir",
         "Bianca", "Carl", "Dora", "Emil", "Freya", "Greta", "Ivan", "Julia", "Kofi", "Lucia", "Mei", "Nils"]
SURNAMES = ["Adler", "Brandt", "Castell", "Dunmore", "Ellery", "Fairweather", "Greaves", "Holloway", "Ingram",
            "Jessop", "Kettering", "Lindqvist", "Marlow", "Northcott", "Oakes", "Pemberton", "Quarry", "Rowntree",
            "Sutter", "Thackeray", "Underhill", "Vance", "Whitlock", "Yardley", "Ashby", "Beaumont", "Crane"]
COLORS = ["red", "blue", "green", "yellow", "purple", "orange", "white", "black", "grey", "brown", "pink"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
ANIMALS = ["heron", "otter", "badger", "falcon", "lynx", "marten", "raven", "stag", "wolf", "hare"]
JOBS = ["carpenter", "nurse", "baker", "pilot", "librarian", "chemist", "tailor", "surveyor", "teacher", "miller"]
INSTRUMENTS = ["violin", "cello", "flute", "trumpet", "harp", "oboe", "piano", "drum", "clarinet", "guitar"]
FRUITS = ["apples", "pears", "plums", "cherries", "figs", "grapes", "lemons", "peaches", "apricots", "melons"]
PLACE_A = ["Blue", "Red", "Green", "Silver", "Golden", "Black", "White", "Amber", "Grey", "Crimson", "Copper",
           "Iron", "Stone", "Cedar", "Oak", "Pine", "Maple", "Willow", "Northern", "Southern", "Old", "New"]
PLACE_B = ["Harbor", "Mill", "Tower", "Bridge", "Valley", "Ridge", "Gate", "Hollow", "Market", "Field",
           "Garden", "Castle", "Chapel", "Forge", "Lake", "River", "Hill", "Cove", "Square", "Station"]
# pools only held-out kinds use
BOAT_WORDS = ["Gull", "Tern", "Petrel", "Skerry", "Driftwood", "Spindrift", "Kestrel", "Lantern", "Mariner",
              "Selkie", "Whimbrel", "Corrie", "Halyard", "Moonraker"]
SPICES = ["cardamom", "saffron", "fennel", "nutmeg", "cumin", "tarragon", "sumac", "juniper", "anise", "mace"]
TOOLS = ["a chisel", "a lantern", "a compass", "a sextant", "a trowel", "a spyglass", "an awl", "a plane"]


def invented(rng, n=(2, 3)):
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(*n))).capitalize()


def person(rng):
    return rng.choice([f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}", f"{rng.choice(FIRST)} {invented(rng)}",
                       invented(rng)])


def place(rng):
    return f"{rng.choice(PLACE_A)} {rng.choice(PLACE_B)}"


def town(rng):
    return invented(rng) + rng.choice(["ford", "ton", "by", "wick", "stead", "mouth", "bury", "dale"])


def clock(rng):
    return f"{rng.randint(1, 12)}:{rng.choice(['00', '15', '20', '30', '40', '45', '05', '50'])}"


class FactKind:
    """What a document can plant and ask: entity and value makers, sentence shapes ({e}, {v}) and
    question phrasings ({e}); a 2-hop link sentence is made by chaining two kinds (skills.py)."""

    def __init__(self, name, entity, value, statements, questions):
        self.name, self.entity, self.value = name, entity, value
        self.statements, self.questions = list(statements), list(questions)

    def fact(self, rng, entity=None):
        e = entity or self.entity(rng)
        v = self.value(rng)
        return e, v, rng.choice(self.statements).format(e=e, v=v), rng.choice(self.questions).format(e=e)


TRAIN_KINDS = [
    FactKind("vault", place, lambda r: str(r.randint(1000, 9999)),
             ["The access code for the {e} vault is {v}.", "To open the {e} vault, enter the code {v}.",
              "The {e} vault opens with the code {v}."],
             ["What is the access code for the {e} vault?", "Which code opens the {e} vault?",
              "what code do I need for the {e} vault?"]),
    FactKind("password", place, lambda r: f"{r.choice(ANIMALS)}-{r.randint(10, 99)}",
             ["The password of the {e} archive is {v}.", "Anyone entering the {e} archive must say {v}.",
              "For the {e} archive the password is {v}."],
             ["What is the password of the {e} archive?", "Tell me the password for the {e} archive.",
              "What must someone say to enter the {e} archive?"]),
    FactKind("cargo", lambda r: "the " + invented(r), lambda r: str(r.randint(10000, 99999)),
             ["The cargo number of the ship called {e} is {v}.", "The ship {e} carries cargo number {v}."],
             ["What is the cargo number of the ship called {e}?", "Which cargo number does the ship {e} carry?"]),
    FactKind("arrival", person, lambda r: r.choice(WEEKDAYS),
             ["{e} will arrive at the council on {v}.", "On {v}, {e} is expected at the council.",
              "{e} said that the council would see them on {v}."],
             ["On which day will {e} arrive at the council?", "When is {e} expected at the council?",
              "Which day does {e} come to the council?"]),
    FactKind("birthplace", person, town,
             ["{e} was born in the town of {v}.", "{e} grew up in {v}, the town where they were born.",
              "The town of {v} is where {e} was born."],
             ["In which town was {e} born?", "Where was {e} born?", "What is the birthplace of {e}?"]),
    FactKind("dog", person, invented,
             ["{e} has a dog called {v}.", "The dog that belongs to {e} is named {v}.",
              "Every morning {e} walks a dog named {v}."],
             ["What is the name of {e}'s dog?", "What is {e}'s dog called?", "what's the name of the dog {e} owns"]),
    FactKind("color", person, lambda r: r.choice(COLORS),
             ["The favourite colour of {e} is {v}.", "{e} likes {v} more than any other colour."],
             ["What is the favourite colour of {e}?", "Which colour does {e} like best?"]),
    FactKind("room", person, lambda r: str(r.randint(100, 999)),
             ["At the inn, {e} stayed in room {v}.", "{e} was given room {v} at the inn."],
             ["In which room at the inn did {e} stay?", "What room number did {e} have at the inn?"]),
    FactKind("train", town, clock,
             ["The last train to {e} leaves at {v}.", "Trains to {e} stop running after the {v} departure."],
             ["When does the last train to {e} leave?", "At what time is the last train to {e}?"]),
    FactKind("author", lambda r: "The " + invented(r) + " " + r.choice(["Letters", "Chronicle", "Journal",
                                                                       "Almanac", "Songs"]),
             person,
             ["The book {e} was written by {v}.", "{v} is the author of the book {e}."],
             ["Who wrote the book {e}?", "Who is the author of {e}?"]),
    FactKind("founded", town, lambda r: str(r.randint(1200, 1990)),
             ["The town of {e} was founded in {v}.", "{e} dates back to {v}, the year it was founded."],
             ["In what year was {e} founded?", "When was the town of {e} founded?"]),
    FactKind("job", person, lambda r: r.choice(JOBS),
             ["{e} works as a {v}.", "By trade, {e} is a {v}."],
             ["What does {e} do for a living?", "What is {e}'s job?"]),
    FactKind("instrument", person, lambda r: r.choice(INSTRUMENTS),
             ["{e} plays the {v} in the town band.", "In the band, {e} is the one who plays the {v}."],
             ["Which instrument does {e} play?", "What does {e} play in the town band?"]),
    FactKind("height", lambda r: "Mount " + invented(r), lambda r: f"{r.randint(900, 8800)} metres",
             ["{e} is {v} high.", "The summit of {e} stands {v} above the sea."],
             ["How high is {e}?", "What is the height of {e}?"]),
    FactKind("harvest", lambda r: "the " + place(r) + " farm", lambda r: r.choice(FRUITS),
             ["Most of the land at {e} is planted with {v}.", "The main crop at {e} is {v}."],
             ["What is grown at {e}?", "What is the main crop of {e}?"]),
    FactKind("meeting_month", lambda r: "the " + invented(r) + " society", lambda r: r.choice(MONTHS),
             ["{e} holds its yearly meeting in {v}.", "Each year in {v}, {e} meets."],
             ["In which month does {e} meet?", "When does {e} hold its yearly meeting?"]),
]

# Generic kinds: any attribute noun of any entity, any verb of any person, in many sentence shapes, so that
# what is learnt is "find the sentence about this entity and this attribute", not one kind's wording.
ATTRIBUTES = ["nickname", "motto", "favourite food", "lucky number", "secret word", "home town", "best friend",
              "middle name", "code name", "street", "horse", "cat", "parrot", "garden", "hobby", "uniform colour",
              "ticket number", "seat number", "locker code", "badge number", "house number", "office",
              "car", "bicycle", "village", "teacher", "captain", "coach", "landlord", "doctor", "favourite song",
              "favourite book", "favourite tree", "favourite river", "signal", "banner", "crest", "anthem",
              "recipe", "shop", "workshop", "studio", "farm", "orchard", "bakery", "tavern", "clinic", "library card",
              "account number", "table number", "gate number", "platform", "flag colour", "treasure", "map",
              "ring", "sword", "lantern", "clock", "bell", "cart", "mule", "goat", "ferry", "tent", "drum"]
VERBS = [("bought", "buy"), ("painted", "paint"), ("found", "find"), ("lost", "lose"), ("carried", "carry"),
         ("ordered", "order"), ("chose", "choose"), ("planted", "plant"), ("sold", "sell"), ("borrowed", "borrow"),
         ("cooked", "cook"), ("wrote", "write"), ("hid", "hide"), ("visited", "visit"), ("repaired", "repair"),
         ("sang", "sing"), ("stole", "steal"), ("built", "build"), ("won", "win"), ("sent", "send")]
OBJECTS = ["a red kite", "a copper kettle", "an old map", "a silver ring", "a wooden chair", "a blue coat",
           "a bag of plums", "a brass key", "a small boat", "a letter", "a song", "a clay pot", "a green lamp",
           "a violin", "a chess set", "a straw hat", "a garden gate", "a picture of the sea", "a wheel of cheese"]


def any_value(rng):
    return rng.choice([lambda: str(rng.randint(2, 99999)), lambda: invented(rng), lambda: rng.choice(COLORS),
                       lambda: f"{rng.choice(FIRST)} {rng.choice(SURNAMES)}", lambda: town(rng),
                       lambda: f"{rng.choice(MONTHS)} {rng.randint(1, 28)}", lambda: clock(rng),
                       lambda: f"{rng.choice(ANIMALS)}-{rng.randint(10, 99)}", lambda: rng.choice(JOBS)])()


class AttributeKind(FactKind):
    """{e}'s {a} is {v}: the attribute is drawn per fact, so distractors share the attribute or not."""

    def __init__(self):
        super().__init__("attribute", None, None,
                         ["The {a} of {e} is {v}.", "{e}'s {a} is {v}.", "{v} is the {a} of {e}.",
                          "As for {e}, the {a} is {v}.", "Everyone knows that the {a} of {e} is {v}.",
                          "{e} once said: my {a} is {v}.", "The {a} belonging to {e} is {v}.",
                          "In the records, {e} lists {v} as the {a}."],
                         ["What is the {a} of {e}?", "What is {e}'s {a}?", "Which {a} does {e} have?",
                          "Tell me {e}'s {a}.", "{e}'s {a}?", "what's the {a} of {e}", "Do you know the {a} of {e}?",
                          "According to the text, what is the {a} of {e}?", "I need the {a} of {e}.",
                          "Find the {a} of {e}."])

    def fact(self, rng, entity=None):
        e = entity or rng.choice([person, place, town, lambda r: "the " + invented(r) + " company"])(rng)
        a, v = rng.choice(ATTRIBUTES), any_value(rng)
        return e, v, rng.choice(self.statements).format(e=e, v=v, a=a), rng.choice(self.questions).format(e=e, a=a)


class VerbKind(FactKind):
    """{e} {did} {v}: what did {e} {do}?"""

    def __init__(self):
        super().__init__("verb", None, None,
                         ["{e} {did} {v}.", "Last week {e} {did} {v}.", "It was {e} who {did} {v}.",
                          "{e} {did} {v} and told nobody."],
                         ["What did {e} {do}?", "What was it that {e} {did}?", "Tell me what {e} {did}.",
                          "what did {e} {do}"])

    def fact(self, rng, entity=None):
        e = entity or person(rng)
        did, do = rng.choice(VERBS)
        v = rng.choice(OBJECTS)
        return e, v, rng.choice(self.statements).format(e=e, v=v, did=did), \
            rng.choice(self.questions).format(e=e, did=did, do=do)


TRAIN_KINDS += [AttributeKind(), VerbKind()]
GENERIC_KIND_WEIGHT = 0.5          # share of document facts from the generic kinds

HELDOUT_KINDS = [
    FactKind("boat", person, lambda r: "the " + r.choice(BOAT_WORDS),
             ["The little fishing boat that {e} keeps by the pier is named {v}."],
             ["Which name is painted on {e}'s boat?", "Could you tell me the name of the boat {e} keeps?"]),
    FactKind("locker", person, lambda r: str(r.randint(10, 99)),
             ["{e} hides the spare key in locker {v}, behind the gym."],
             ["Where is {e}'s spare key? Give the locker number.", "Which locker has the spare key of {e}?"]),
    FactKind("spice", person, lambda r: r.choice(SPICES),
             ["Nobody guesses it, but {e} puts {v} in the soup."],
             ["What's the secret ingredient in {e}'s soup?", "So what does {e} add to the soup?"]),
    FactKind("tool", person, lambda r: r.choice(TOOLS),
             ["Before the journey {e} packed only {v}."],
             ["What did {e} take on the journey?", "Remind me what {e} packed for the trip."]),
    FactKind("wedding", person, lambda r: f"{r.choice(MONTHS)} {r.randint(1, 28)}",
             ["The wedding of {e} is planned for {v}."],
             ["On what date is {e} getting married?", "When's the wedding of {e}?"]),
    FactKind("phone", lambda r: "the " + invented(r) + " bakery", lambda r: f"{r.randint(200, 999)}-{r.randint(1000, 9999)}",
             ["You can reach {e} by phone at {v}."],
             ["What number should I call to reach {e}?", "Give me the phone number of {e}."]),
]

# How a document and its question are put to the model. The first is the app's own wording
# (engine/runtime/documentQuestion.ts, tasks/doc_qa.prompt_messages); training uses it and the others.
APP_WRAPPER = "Read the document below, then answer the question that follows it.\n\n<document>\n{d}\n</document>\n\nQuestion: {q}"
TRAIN_WRAPPERS = [
    APP_WRAPPER,
    "{d}\n\n{q}",
    "Here is a text:\n\n{d}\n\nUsing only the text above, answer: {q}",
    "{q}\n\nAnswer from this document:\n{d}",
    "Document:\n\"\"\"\n{d}\n\"\"\"\n\n{q} Answer briefly.",
    "I am going to paste some notes.\n\n{d}\n\nNow my question: {q}",
]
HELDOUT_WRAPPERS = [APP_WRAPPER]       # the app's wording: what `recurformer ask` and the app send

# HashHop: line formats ({a}, {b}) and questions ({s} start, {n} hops). "raw" rows have no chat turn:
# the document, then a query line the model completes (as the independent check did).
TRAIN_HOP_LINES = ["{a} = {b}", "{a} -> {b}", "{a} leads to {b}.", "{a}: {b}", "{a} => {b}", "{a} | {b}",
                   "{a} points to {b}", "{a} links to {b}", "{a} then {b}", "{a} >> {b}", "key {a} opens {b}",
                   "{a} is followed by {b}", "- {a} to {b}", "{a} ~ {b}", "{a}, {b}", "{a} maps to {b}",
                   "after {a} comes {b}", "{a} / {b}", "{a} becomes {b}", "{a} :: {b}"]
TRAIN_HOP_HEADERS = [
    "Each line below says that the string on the left leads to the string on the right (A = B means A leads to B).",
    "Follow the links. Each line maps a key to the next key.",
    "",
]
TRAIN_HOP_QUESTIONS_1 = ["What does {s} lead to?", "Where does {s} point?", "{s} leads to what?",
                         "What comes after {s}?", "What is linked from {s}?", "{s} maps to?", "Follow {s} one step.",
                         "Which string follows {s}?", "What is next after {s}?", "Where does {s} go?"]
TRAIN_HOP_QUESTIONS_N = ["What does {s} lead to after {n} hops?", "Start at {s} and follow {n} links. Where do you end?",
                         "Follow {s} for {n} steps: what is the last key?", "From {s}, go {n} steps. Where are you?",
                         "What is {n} links after {s}?", "Follow the chain from {s} {n} times."]
HELDOUT_HOP_LINES = ["{a} goes to {b}", "from {a} you reach {b}"]
HELDOUT_HOP_QUESTIONS_1 = ["Which key comes right after {s}?"]
HELDOUT_HOP_QUESTIONS_N = ["If you begin at {s} and take {n} steps, which key do you land on?"]

# Plain questions about reference facts. {c} country, {f} field name as the Factbook record calls it.
TRAIN_FACT_QUESTIONS = {
    "capital": ["What is the capital of {c}?", "What's the capital city of {c}?", "capital of {c}?",
                "Tell me the capital of {c}.", "Which city is the capital of {c}?", "{c}: what is its capital?",
                "Do you know the capital of {c}?"],
    "currency": ["What currency is used in {c}?", "What is the currency of {c}?", "currency of {c}?"],
    "languages": ["What languages are spoken in {c}?", "Which languages do people speak in {c}?"],
    "population": ["What is the population of {c}?", "How many people live in {c}?"],
    "location": ["Where is {c}?", "Where is {c} located?"],
    "internet code": ["What is the internet country code of {c}?", "Which top-level domain does {c} use?"],
    "national holiday": ["What is the national holiday of {c}?", "When is the national holiday of {c}?"],
    "independence": ["When did {c} become independent?", "What is the independence date of {c}?"],
}
HELDOUT_FACT_QUESTIONS = {
    "capital": ["Name the capital of {c}, please.", "I'm curious which city serves as {c}'s capital.",
                "In {c}, where is the seat of government?"],
    "currency": ["If I travel to {c}, what money will I pay with?"],
    "internet code": ["Websites from {c} end in which domain?"],
}
FACT_PREFIXES = ["", "", "", "Quick question: ", "Hey, ", "Please tell me: ", "I wonder, ", "Can you tell me: ",
                 "Sorry to bother you, but ", "One question. "]
FACT_SUFFIXES = ["", "", "", " Thanks!", " Please answer briefly.", " Just the answer, please.", " I forgot."]
TRAIN_FACT_QUESTIONS["capital"] += ["What city is the capital of {c}?", "The capital of {c} is which city?",
                                    "Where is the government of {c} based?", "capital city of {c}",
                                    "Which city is {c}'s capital?", "What's {c}'s capital?"]
TRAIN_FACT_QUESTIONS["currency"] += ["What money do they use in {c}?", "Which currency does {c} use?"]
TRAIN_FACT_QUESTIONS["internet code"] += ["What is the web domain of {c}?", "What domain ending does {c} have?"]
TRAIN_FACT_ANSWERS = ["The {f} of {c} is {v}.", "{v}.", "{c}'s {f} is {v}."]

TRAIN_GREETINGS = ["Hello!", "Hi", "Hi there!", "Hello! What can you do?", "What can you do?", "Who are you?",
                   "hey", "Good morning!", "What are you?", "Can you help me?", "Hello, how are you?",
                   "What kind of questions can you answer?", "Are you a person?", "Introduce yourself."]
HELDOUT_GREETINGS = ["Greetings! Tell me a bit about yourself.", "yo, what's up", "Good evening. What are you good at?",
                     "Howdy! Anything you can help with?", "Hi! Which tasks suit you best?",
                     "Hey there, who am I talking to?", "Nice to meet you. What should I ask you?",
                     "hello? is anyone there", "Morning! What do you know how to do?",
                     "What are your abilities?"]
SELF_DESCRIPTIONS = [
    "Hello! I am a small language model (about 30 million parameters) from RecurFormer Desktop. I can answer "
    "questions about a document you give me, tell you simple facts about countries and what words mean, and "
    "chat a little. I know little else, and I can be wrong.",
    "Hi! I'm a small model trained by the RecurFormer Desktop project. Give me a document and ask about it, or ask "
    "me about a country or the meaning of a word. I cannot browse the web, and I often do not know things.",
    "I am a small RecurFormer language model. My best skill is finding facts in a document you paste or attach; I "
    "also know some country facts and word definitions. For anything else I may not know the answer.",
]
TRAIN_CANNOT = ["Write a poem about the sea.", "What is the weather like today?", "Book me a flight to Rome.",
                "What time is it now?", "Translate this sentence into German: good night.", "Can you send an email for me?",
                "Tell me today's news.", "Write a Python program that sorts a list.", "Play some music.",
                "What is the stock price of Apple?", "Draw me a picture of a cat.", "Remind me to call my mother."]
HELDOUT_CANNOT = ["Compose a sonnet about autumn leaves.", "Will it rain in Paris tomorrow?",
                  "Order a pizza to my house.", "What's the score of the game tonight?",
                  "Please summarise the latest headlines.", "Make a song about friendship.",
                  "Convert this recipe into French.", "Set an alarm for 7 am.", "Open my calendar.",
                  "Generate a JavaScript function that reverses a string."]
CANNOT_ANSWERS = [
    "I can't do that. I am a small language model: I can answer questions about a document you give me, and simple "
    "questions about countries and word meanings.",
    "Sorry, I cannot do that. I only answer questions about documents you give me and a few facts about countries "
    "and words.",
]
DONT_KNOW = "I don't know."
# questions about things that do not exist (invented names): the honest answer is DONT_KNOW
TRAIN_UNKNOWN = ["What is the capital of {x}?", "Who is the king of {x}?", "How many people live in {x}?",
                 "What does the word \"{w}\" mean?", "Who won the {x} prize in 1987?", "What is {x} famous for?"]
HELDOUT_UNKNOWN = ["Which river flows through the middle of {x}?", "Tell me the population figure for {x}.",
                   "What did the philosopher {x} write about?"]
HELDOUT_HAY_SOURCES = ("postgresql-doc", "perl-doc")    # never read by any training stage


def check_disjoint():
    """Raises AssertionError naming the first family found on both sides (used by the tests and by
    heldout.py before it writes anything)."""
    train_kinds = {k.name for k in TRAIN_KINDS}
    for k in HELDOUT_KINDS:
        assert k.name not in train_kinds, f"fact kind {k.name} is in TRAIN and HELDOUT"
    train_text = {s for k in TRAIN_KINDS for s in k.statements + k.questions}
    for k in HELDOUT_KINDS:
        for s in k.statements + k.questions:
            assert s not in train_text, f"{s!r} is in TRAIN and HELDOUT"
    pairs = [(TRAIN_HOP_LINES, HELDOUT_HOP_LINES), (TRAIN_HOP_QUESTIONS_1, HELDOUT_HOP_QUESTIONS_1),
             (TRAIN_HOP_QUESTIONS_N, HELDOUT_HOP_QUESTIONS_N), (TRAIN_GREETINGS, HELDOUT_GREETINGS),
             (TRAIN_CANNOT, HELDOUT_CANNOT), (TRAIN_UNKNOWN, HELDOUT_UNKNOWN),
             ([q for v in TRAIN_FACT_QUESTIONS.values() for q in v],
              [q for v in HELDOUT_FACT_QUESTIONS.values() for q in v])]
    for train, held in pairs:
        norm = {t.strip().lower() for t in train}
        for h in held:
            assert h.strip().lower() not in norm, f"{h!r} is in TRAIN and HELDOUT"
    from .compose import frames_matching, HELDOUT_NOUNS, NOUNS
    held_templates = [s for k in HELDOUT_KINDS for s in k.statements + k.questions] + \
        [q for v in HELDOUT_FACT_QUESTIONS.values() for q in v]
    for t in held_templates:
        assert not frames_matching(t), f"{t!r} can be composed by compose.py ({frames_matching(t)[0]!r})"
    assert not HELDOUT_NOUNS & set(NOUNS) - HELDOUT_NOUNS, "a held-out noun is in compose.NOUNS"
    _check_grammars()
    from .text_pool import HAYSTACK_SOURCES
    from .skills import TRAIN_HAY_SOURCES
    for s in HELDOUT_HAY_SOURCES:
        assert s not in HAYSTACK_SOURCES and s not in TRAIN_HAY_SOURCES, f"hay source {s} is used in training"


def held_out_wording(question):
    """Whether a generated question matches a held-out question template (slots open) or holds a literal stretch
    of 12+ characters of one: generators of questions about free text (prose_qa.py) drop those, so the held-out
    wordings stay unseen by construction."""
    regexes, chunks = _held_questions()
    q = question.lower()
    return any(rx.match(question) for rx in regexes) or any(c.lower() in q for c in chunks)


@functools.lru_cache(maxsize=None)
def _held_questions():
    """_held_patterns of every held-out question template, and of the first sentence of a two-sentence one."""
    templates = [q for k in HELDOUT_KINDS for q in k.questions] + [q for v in HELDOUT_FACT_QUESTIONS.values() for q in v]
    regexes, chunks = _held_patterns(templates)
    return regexes + [_template_regex(t.split("?")[0] + "?") for t in templates if "? " in t], chunks


def _held_patterns(templates):
    """([regex of each template, slots open], [its literal stretches of 12+ characters])."""
    import re
    return ([_template_regex(t) for t in templates],
            [c for t in templates for c in re.split(r"\{\w+\}", t) if len(c.strip()) >= 12])


def _template_regex(template):
    import re
    parts = re.split(r"(\{\w+\})", template)
    return re.compile("^" + "".join(".+" if re.fullmatch(r"\{\w+\}", p) else re.escape(p) for p in parts) + "$",
                      re.IGNORECASE)


def _check_grammars(samples=4000):
    """events.py and hop_shapes.py write no held-out shape: no held-out kind's noun is a word they use, no held-out
    sentence or question (slots open) matches one of `samples` generated facts nor has a literal stretch of 12+
    characters in one, no held-out line's connector or lead
    is a hop_shapes part, no literal stretch of a held-out hop question is in a composed one."""
    import random
    import re
    from . import events, hop_shapes
    from .compose import HELDOUT_NOUNS
    words = events.words_in_use()
    for n in HELDOUT_NOUNS:
        assert not set(n.split()) <= words, f"events.py uses the held-out noun {n!r}"
    templates = [t for k in HELDOUT_KINDS for t in k.statements + k.questions]
    held, chunks = _held_patterns(templates)
    rng = random.Random(0)
    for _ in range(samples):
        kind = events.EventKind(rng)
        _, _, st, q = kind.fact(rng)
        for rx in held:
            assert not rx.match(st) and not rx.match(q), f"events.py wrote a held-out shape: {st!r} / {q!r}"
        for c in chunks:
            assert c not in st and c not in q, f"events.py wrote {c!r} of a held-out template: {st!r} / {q!r}"
    for line in HELDOUT_HOP_LINES:
        lead, rest = line.split("{a}")
        connector = rest.split("{b}")[0].strip()
        assert connector not in hop_shapes.CONNECTORS, f"hop connector {connector!r} is held out"
        assert not lead.strip() or lead.strip() + " " not in hop_shapes.LEADS, f"hop lead {lead!r} is held out"
    composed = [q.lower() for q in hop_shapes.QUESTIONS_1 + hop_shapes.QUESTIONS_N]
    for q in HELDOUT_HOP_QUESTIONS_1 + HELDOUT_HOP_QUESTIONS_N:
        for chunk in re.split(r"\{\w+\}", q.lower()):
            chunk = chunk.strip(" ,?.")
            if len(chunk) >= 6:
                assert not any(chunk in c for c in composed), f"{chunk!r} of a held-out hop question is composed"
