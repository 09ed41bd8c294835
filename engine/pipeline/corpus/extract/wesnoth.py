"""Battle for Wesnoth campaign scenarios (.cfg, WML).

Keeps the story text (`story= _ "..."` in [part] blocks) and dialogue
(`[message]` blocks with `speaker=` and `message= _ "..."`), written as
"Speaker: line". WML strings use "" for a literal quote and may span lines.
One document per scenario file.
"""
import glob
import os
import re

from ..text import clean

_STRING = r'_?\s*"((?:[^"]|"")*)"'
_BLOCK = re.compile(r"\[(message|part)\](.*?)\[/\1\]", re.S)
_SPEAKER = re.compile(r"^\s*speaker\s*=\s*(\S.*?)\s*$", re.M)
_MESSAGE = re.compile(r"^\s*message\s*=\s*" + _STRING, re.M)
_STORY = re.compile(r"^\s*story\s*=\s*" + _STRING, re.M)
_MARKUP = re.compile(r"<[^>]*>")


def _wml_string(s):
    s = s.replace('""', '"')
    return " ".join(_MARKUP.sub("", s).split())


def scenario_text(cfg):
    lines = []
    for kind, body in _BLOCK.findall(cfg):
        if kind == "part":
            for m in _STORY.findall(body):
                lines.append(_wml_string(m))
            continue
        sp = _SPEAKER.search(body)
        msg = _MESSAGE.search(body)
        if not msg:
            continue
        speaker = sp.group(1).strip('"') if sp else "narrator"
        if "$" in speaker or "{" in speaker:
            speaker = "someone"
        speaker = speaker.replace("_", " ")
        speaker = speaker[:1].upper() + speaker[1:]
        lines.append(f"{speaker}: {_wml_string(msg.group(1))}")
    return "\n".join(l for l in lines if l and not l.endswith(": "))


def extract(roots, sink):
    for root in roots:
        paths = sorted(glob.glob(os.path.join(root, "usr/share/games/wesnoth/*/data/campaigns/*/scenarios/**/*.cfg"),
                              recursive=True))
        for path in paths:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = scenario_text(f.read())
            if text:
                sink.doc(clean(text))
