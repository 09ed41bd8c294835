"""Questions about real sentences: a passage of training text as it was written, and a question about one of its
own sentences, so that what is learnt is reading ordinary prose, not the shapes of a fact grammar.

The planted facts of skills.py and events.py come from templates, however many; the models learnt those
shapes and missed facts told in ordinary sentences (tasks/handwritten.py: 2 and 1 of 30). Here nothing is
planted: a rule finds a sentence of a simple shape in the passage and asks about one of its parts.

  who     "Greta hid the spare key inside a hollow gnome."  -> "Who hid the spare key inside a hollow gnome?"
  what    the same sentence                                -> "What did Greta hide inside a hollow gnome?"
  where   (in, into, on, under, behind, inside, beside, near, at)  -> "Where did Greta hide the spare key?"
  be      "The result of the vote was a narrow defeat."      -> "What was the result of the vote?"

The answer must appear once in the passage, so the question has one reading. Verbs are put back in their base
form ("hid" -> "hide") from a table of irregular pasts and the WordNet verbs of SkillData.definitions; a
sentence whose verb is not found is skipped. Training text only (SkillData.hay): the held-out sets never read it.
"""
import re

# sources whose paragraphs are ordinary prose (reference and technical text has few such sentences)
PROSE_SOURCES = ("brown", "moby-dick", "sotu", "wesnoth", "sword-web", "sword-mhcc", "sword-tdavid", "fortunes")
DETERMINERS = r"(?:the|a|an|his|her|their|its|our|my|your|this|that|some|two|three|four|five)"
PLACE_PREPS = ("in", "into", "on", "under", "behind", "inside", "beside", "near", "at")
PREPS = PLACE_PREPS + ("to", "from", "for", "with", "across", "over", "through")
# sentence-initial capitalized words that are not names
NOT_NAMES = set("""The A An And But Or So Yet For Nor When Then Now If As At In On Of To By From With Without After
Before While Though Although Because Since Until Unless He She It They We You I His Her Its Their Our My Your This
That These Those There Here What Who Whom Whose Which Why How Where Some Many Most Each Every All No None One Two
Three Four Five Both Either Neither Such Thus Also Still Even Only Just Once Soon Later Today Yesterday Tomorrow
Mr Mrs Ms Dr Sir Lord God Let May Might Must Shall Should Would Could Can Will Do Does Did Is Was Are Were Be
Being Been Have Has Had Not Never Always Often Indeed Perhaps Meanwhile However Therefore Moreover Besides
Above Below Between Among Against Upon Into Onto Out Over Under Through Across Behind Beyond During""".split())
IRREGULAR = {"hid": "hide", "kept": "keep", "left": "leave", "took": "take", "gave": "give", "brought": "bring",
             "bought": "buy", "sold": "sell", "sent": "send", "lent": "lend", "put": "put", "set": "set",
             "found": "find", "lost": "lose", "made": "make", "got": "get", "held": "hold", "laid": "lay",
             "hung": "hang", "threw": "throw", "drew": "draw", "wrote": "write", "sang": "sing", "stole": "steal",
             "wore": "wear", "tore": "tear", "bore": "bear", "drove": "drive", "rode": "ride", "ate": "eat",
             "drank": "drink", "fed": "feed", "led": "lead", "met": "meet", "read": "read", "saw": "see",
             "told": "tell", "said": "say", "paid": "pay", "built": "build", "spent": "spend", "caught": "catch",
             "taught": "teach", "fought": "fight", "sought": "seek", "struck": "strike", "shot": "shoot",
             "won": "win", "broke": "break", "chose": "choose", "froze": "freeze", "wove": "weave",
             "dug": "dig", "spun": "spin", "swung": "swing", "flung": "fling", "stuck": "stick", "bent": "bend",
             "buried": "bury", "carried": "carry", "hurried": "hurry", "married": "marry", "sat": "sit",
             "stood": "stand", "ran": "run", "began": "begin", "fell": "fall", "rose": "rise", "shook": "shake",
             "forgot": "forget", "hit": "hit", "cut": "cut", "shut": "shut", "let": "let", "spread": "spread",
             "sank": "sink", "slew": "slay", "smote": "smite", "begat": "beget", "came": "come", "went": "go",
             "heard": "hear", "knew": "know", "grew": "grow", "blew": "blow", "flew": "fly", "slid": "slide",
             "fled": "flee", "bid": "bid", "rent": "rend", "cast": "cast", "wound": "wind", "ground": "grind"}
PRONOUNS = {"i", "you", "he", "she", "it", "we", "they", "him", "her", "us", "them", "who", "which", "that"}
# words that make a noun phrase or an answer something other than a plain name of a thing
NOT_IN_PHRASE = PRONOUNS | {"too", "also", "here", "there", "now", "then", "only", "alone", "itself", "not", "so",
                            "very", "whom", "whose", "where", "when", "what"}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_DO = re.compile(rf"^(?P<s>[A-Z][a-z]+(?: [A-Z][a-z]+)?) (?P<v>[a-z]+) (?P<o>{DETERMINERS} [a-z][a-z' -]{{1,30}}?) "
                 rf"(?P<p>{'|'.join(PREPS)}) (?P<n>{DETERMINERS} [A-Za-z][A-Za-z' -]{{1,30}}?)(?:[.;:,!]| and | but )")
_BE = re.compile(rf"^The (?P<np>[a-z]+(?: [a-z]+){{0,3}}) (?P<be>is|was|are|were) (?P<z>{DETERMINERS} "
                 rf"[a-z][a-z' -]{{1,40}}?)(?:[.;:!]|, )")
_NOT_BE_ANSWER = ("not ", "also ", "very ", "so ", "too ", "then ", "still ", "now ", "being ", "done", "made ",
                  "said ", "given ", "taken ", "that ", "to ", "in ", "of ", "on ", "at ", "by ")


def name_filter(words):
    """names_ok for questions()/pick(): a subject whose first word is a dictionary word (or its plural) is no name
    ("Hunters set their traps ..." asks no "who"); `words`: every defined word, lower case."""
    def ok(name):
        w = name.split()[0].lower()
        return not (w in words or w.endswith("s") and w[:-1] in words)
    return ok


def sentences(paragraph):
    return [s.strip() for s in _SENTENCE.split(paragraph) if s.strip()]


def base_form(past, verbs):
    """'hid' -> 'hide', 'walked' -> 'walk', 'stopped' -> 'stop', 'carried' -> 'carry'; None if not a past tense
    of a known verb (`verbs`: WordNet verb lemmas)."""
    if past in IRREGULAR:
        return IRREGULAR[past]
    if not past.endswith("ed") or len(past) < 5:
        return None
    stem = past[:-2]
    for cand in (stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else None,
                 stem[:-1] + "y" if stem.endswith("i") else None):
        if cand and cand in verbs:
            return cand
    return None


def questions(sentence, verbs, names_ok=lambda s: True):
    """[(question, answer)] a rule can ask of this sentence (often none)."""
    out = []
    m = _DO.match(sentence)
    if m and m["s"].split()[0] not in NOT_NAMES and names_ok(m["s"]):
        base = base_form(m["v"], verbs)
        if base:
            s, v, o, p, n = m["s"], m["v"], m["o"], m["p"], m["n"]
            out.append((f"Who {v} {o} {p} {n}?", s))
            out.append((f"What did {s} {base} {p} {n}?", o))
            if p in PLACE_PREPS:
                out.append((f"Where did {s} {base} {o}?", n))
    m = _BE.match(sentence)
    if m and not m["z"].startswith(_NOT_BE_ANSWER) and len(m["z"].split()) <= 6 \
            and not NOT_IN_PHRASE.intersection(m["np"].split() + m["z"].split()[1:]):
        out.append((f"What {m['be']} the {m['np']}?", m["z"]))
    return out


def _once(answer, text):
    return len(re.findall(rf"(?<![\w-]){re.escape(answer)}(?![\w-])", text)) == 1


def pick(rng, paragraphs, verbs, names_ok=lambda s: True):
    """(question, answer) about one sentence of the passage, its answer told once in it; None when no sentence
    of the passage has a shape the rules know."""
    text = "\n".join(paragraphs)
    found = [qa for p in paragraphs for s in sentences(p) for qa in questions(s, verbs, names_ok)
             if _once(qa[1], text)]
    return rng.choice(found) if found else None
