"""HashHop line formats and questions built from parts, so that no one line shape is learnt.

A line is [lead] {a} connector {b}[end]: "node k3x9 is wired to p0q2;", "* k3x9 => p0q2", "k3x9 hands over to
p0q2." A one-hop question is [lead] wh-phrase relation {s}?, an n-hop one one of several shapes that say
"start at {s}, follow {n} links". Hundreds of line shapes and question wordings: what can be learnt is "find
the line whose left key is {s}, copy its right key".

Training only: the connectors and relations never use the held-out lines' or questions' wording
(families.HELDOUT_HOP_*: "goes to", "you reach", "comes right after", "take ... steps", "land on"), and
check_disjoint() (families.py) checks the held-out shapes against these parts.
"""
LEADS = ["", "", "", "", "key ", "node ", "code ", "* ", "- ", "> ", "step: ", "id ", "entry ", "link ", "# "]
CONNECTORS = ["leads to", "->", "=", "points to", "links to", "is followed by", "maps to", "becomes", "turns into",
              "opens", "unlocks", "is paired with", "precedes", "sends you to", "connects to", "jumps to",
              "is wired to", "hands over to", "continues with", "resolves to", "forwards to", "=>", "-->", "|",
              "::", "~>", ">>", "then", "before", "and next", "is answered by", "calls", "unlocks the door to",
              "is chained to", "passes to", "is linked with", ", next:", "; after it:", "-- then --", "to"]
ENDS = ["", "", "", ".", ";", ",", " (ok)", " .", " !"]
NOUNS = ["key", "string", "code", "node", "entry", "id", "token", "word", "label"]
RELATIONS = ["follows", "is next after", "is linked from", "is paired with", "is the target of", "is on the right of",
             "is mapped from", "stands beside"]
RELATIONS_FROM = ["does {s} lead to", "does {s} point to", "does {s} open", "is {s} linked to"]     # start inside
ASK_1 = ["Which {noun} {rel} {s}?", "What {noun} {rel} {s}?", "{s}: which {noun} is next?", "Look up {s}. What is next?",
         "What is the {noun} linked to {s}?", "Find {s} and give the {noun} after it.", "Next after {s}?",
         "Follow {s} once.", "Which {noun} does the line with {s} give?", "Tell me the {noun} that {s} leads to."]
ASK_N = ["Starting from {s}, follow {n} links. Which {noun} is last?", "Follow the chain from {s} for {n} hops.",
         "From {s}, follow {n} links: where does the chain end?", "Hop {n} times starting with {s}. Final {noun}?",
         "What {noun} is {n} links away from {s}?", "Chase {s} through {n} lines. What do you get?",
         "Open the chain at {s} and follow the lines {n} times. Which {noun} is at the end?",
         "After {n} hops from {s}, which {noun} do you have?"]


def all_lines():
    """Every line shape: '{a} ... {b}' with a lead, a connector and an end."""
    return [f"{lead}{{a}}{'' if c.startswith((',', ';')) else ' '}{c} {{b}}{end}"
            for lead in sorted(set(LEADS)) for c in CONNECTORS for end in sorted(set(ENDS))]


def all_questions(hops):
    """Every question shape for `hops` hops ({s} the start, {n} the hops left open)."""
    if hops > 1:
        return [q.replace("{noun}", noun) for q in ASK_N for noun in NOUNS]
    out = []
    for q in ASK_1:
        for noun in NOUNS:
            if "{rel} {s}" in q:
                out += [q.replace("{rel} {s}", rel).replace("{noun}", noun) for rel in RELATIONS_FROM]
                out += [q.replace("{rel}", rel).replace("{noun}", noun) for rel in RELATIONS]
            else:
                out.append(q.replace("{noun}", noun))
    return sorted(set(out))


LINES, QUESTIONS_1, QUESTIONS_N = all_lines(), all_questions(1), all_questions(2)


def line_format(rng):
    return rng.choice(LINES)


def question(rng, hops, start):
    return rng.choice(QUESTIONS_1 if hops == 1 else QUESTIONS_N).format(s=start, n=hops)
