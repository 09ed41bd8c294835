"""Greetings and requests the model cannot serve, composed from parts, so that the reply (an honest description
of the model, or a polite refusal, each ending its turn) is learnt for the intent and not for a dozen strings.

Until round 13 the training rows drew from 14 fixed greetings and 12 fixed requests (families.TRAIN_GREETINGS,
TRAIN_CANNOT). On the 20 held-out ones a converted model ran on to the token limit with text of the corpus for
three ("What are your abilities?", "Open my calendar."): it knew the strings, not the intent. Here:
  greeting  [opener] [ask about the model], e.g. "hey, what sort of things can you help with", "Who made you?"
  request   [polite frame] action, from seven kinds a small offline model cannot serve: writing something new,
            code, translation, pictures, acts in the world, news and live data, advice that needs a person;
            e.g. "Could you draw a map of the village?", "whats the price of copper right now"
with the typing of real users some of the time (all lower case, no final mark, no capital).

Training only: a phrase that shares 16 or more characters (lower-cased, marks dropped) with a held-out greeting
or request is never made (`held_out_overlap`), so the held-out open turns stay unseen by construction;
tests/test_small_talk.py checks thousands of draws.
"""
import functools
import random
import re

from . import families as F

OPENERS = ["", "", "", "Hello! ", "Hi! ", "Hi, ", "Hey, ", "Hey! ", "Hello there. ", "Hi there! ", "Good morning! ",
           "Good afternoon. ", "Hello again. ", "Hiya! ", "OK, ", "So, ", "Quick question: ", "Sorry to bother you. "]
ASKS = ["What can you do?", "Who are you?", "What are you?", "What do you do?", "What is this?",
        "What kind of model are you?", "How can you help me?", "What can I use you for?", "What are you for?",
        "Are you a person or a program?", "Tell me what you can do.", "Describe yourself.",
        "What questions can you answer?", "Can you help me?", "How do I use you?", "What is your name?",
        "Are you an AI?", "Are you a bot?", "What sort of things can you help with?", "Who made you?",
        "What is your job?", "What are you capable of?", "What can you help me with?", "How does this work?",
        "What should I know about you?", "Is this a chatbot?", "What are your limits?", "Can you talk?",
        "What kind of assistant is this?", "How smart are you?", "What do you know?", "Explain what you are."]
BARE = ["Hello!", "Hi", "hey", "Good morning!", "Hi there!", "Hello, how are you?", "How's it going?", "Hey you",
        "Hiya", "Good afternoon!", "Hello hello", "Hi, anybody home?", "Are you there?", "Testing, testing."]

FRAMES = ["{}", "{}", "Please {}", "Could you {}", "Can you {}", "I need you to {}", "Would you {}", "I want you to {}",
          "Hey, {}", "Right now, {}"]
NEWS = ["today's news", "the weather for tomorrow", "the current exchange rate of the euro", "the price of copper right now",
        "the traffic on my way to work", "the opening hours of the bank today", "the latest election results",
        "the top stories this morning", "the time in Tokyo", "the result of last night's match"]
LIVE_CLAUSES = ["who won the match last night", "what time it is in Tokyo", "whether my train is on time",
                "how much gold costs today"]
REQUESTS = {
    "writing": ("{verb} {piece} about {topic}", {
        "verb": ["write", "write me", "make up", "create", "draft"],
        "piece": ["a poem", "a short story", "an essay", "a limerick", "a haiku", "a speech", "a joke", "a letter",
                  "a blog post", "a rap verse"],
        "topic": ["the sea", "my dog", "winter", "outer space", "a dragon", "the city at night", "my grandmother",
                  "coffee", "the moon", "trains", "a lost key", "summer holidays"]}),
    "code": ("{verb} a {lang} {unit} that {does}", {
        "verb": ["write", "write me", "code", "program", "build"],
        "lang": ["Python", "C", "Rust", "Go", "Java", "Ruby", "shell", "SQL"],
        "unit": ["program", "function", "script", "class"],
        "does": ["sorts a list", "prints the prime numbers", "reads a CSV file", "counts the words in a file",
                 "finds the largest number", "checks a password", "downloads a web page", "parses a date"]}),
    "translation": ("translate {what} into {lang}", {
        "what": ["this sentence", "my letter", "this paragraph", "the word 'goodbye'", "this menu", "my essay"],
        "lang": ["German", "Spanish", "Italian", "Japanese", "Russian", "Dutch", "Greek", "Polish"]}),
    "pictures": ("{verb} {image}", {
        "verb": ["draw", "paint", "sketch", "make me a picture of", "design"],
        "image": ["a cat", "a map of the village", "a logo for my shop", "a castle", "my house", "a sunset",
                  "a birthday card"]}),
    "acts": ("{act}", {
        "act": ["book me a flight to {city}", "book a table for two", "send an email to my boss", "call my mother",
                "text Anna that I am late", "buy me a new phone", "turn on the lights", "play some music",
                "remind me to water the plants", "pay my electricity bill", "call a taxi", "reserve a hotel room in {city}",
                "post this on my feed", "start a timer for ten minutes", "delete my old files", "print this page"],
        "city": ["Rome", "Oslo", "Cairo", "Lima", "Seoul", "Madrid"]}),
    "live": ("{ask} {news}", {"ask": ["tell me", "look up", "check", "find out"], "news": NEWS + LIVE_CLAUSES}),
    "advice": ("{verb} {matter}", {
        "verb": ["help me with", "give me advice on", "tell me what to do about", "sort out"],
        "matter": ["my back pain", "my tax return", "a legal dispute with my landlord", "my investments",
                   "a rash on my arm", "my divorce papers"]}),
}
LIVE_QUESTIONS = ["What is {}?", "Do you know {}?", "whats {}"]     # of NEWS only: "What is today's news?"


def _plain(text):
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.lower()).split())


@functools.lru_cache(maxsize=None)
def _held(width):
    """(the held-out open turns made plain, every `width` characters of them)"""
    held = frozenset(_plain(t) for t in F.HELDOUT_GREETINGS + F.HELDOUT_CANNOT)
    return held, frozenset(h[i:i + width] for h in held for i in range(max(1, len(h) - width + 1)))


def held_out_overlap(text, width=16):
    """Whether text shares `width` or more characters (lower-cased, marks dropped) with a held-out open turn, or is
    one outright."""
    p = _plain(text)
    held, windows = _held(width)
    return p in held or any(p[i:i + width] in windows for i in range(len(p) - width + 1))


def _typed(rng, text):
    """As users type: now and then all lower case, or without the final mark."""
    r = rng.random()
    if r < 0.15:
        text = text.lower()
    elif r < 0.25:
        text = text[:1].lower() + text[1:]
    if rng.random() < 0.2:
        text = text.rstrip(".?!")
    return text


def _fill(rng, pattern, pools):
    return re.sub(r"\{(\w+)\}", lambda m: _fill(rng, rng.choice(pools[m.group(1)]), pools), pattern)


def _first_draw(rng, make):
    for _ in range(100):
        text = make()
        if not held_out_overlap(text):
            return text
    raise RuntimeError("small_talk: 100 draws in a row overlapped a held-out open turn")


def greeting(rng: random.Random) -> str:
    def make():
        r = rng.random()
        if r < 0.15:
            return rng.choice(F.TRAIN_GREETINGS)
        if r < 0.3:
            return _typed(rng, rng.choice(BARE))
        opener, ask = rng.choice(OPENERS), rng.choice(ASKS)
        if opener.endswith((", ", ": ")):
            ask = ask[:1].lower() + ask[1:]         # "Hi, what can you do?"
        return _typed(rng, opener + ask)
    return _first_draw(rng, make)


def request(rng: random.Random) -> str:
    def make():
        if rng.random() < 0.15:
            return rng.choice(F.TRAIN_CANNOT)
        kind = rng.choice(sorted(REQUESTS))
        if kind == "live" and rng.random() < 0.5:
            text = rng.choice(LIVE_QUESTIONS).format(rng.choice(NEWS))
        else:
            frame = rng.choice(FRAMES)
            text = frame.format(_fill(rng, *REQUESTS[kind]))
            text = text[:1].upper() + text[1:] + ("?" if frame.split(" ")[0] in ("Could", "Can", "Would") else ".")
        return _typed(rng, text)
    return _first_draw(rng, make)
