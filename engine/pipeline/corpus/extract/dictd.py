"""dictd databases: NAME.index (headword TAB offset TAB length, numbers in dictd's
base64 digits) and NAME.dict.dz (dictzip = gzip with random-access extras, which
the gzip module reads as plain gzip).

GCIDE entries start "Word \\Pro*nun"ci*a`tion\\, pos. [etymology]" and carry source
markers ("[1913 Webster]"); FOLDOC entries start with the headword on its own line
and a "<category>"; Bierce's entries start "WORD, pos." Each is cleaned to plain
prose: one paragraph per sense, wrapped lines joined.
"""
import glob
import gzip
import os
import re

from ..text import clean, unwrap

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: i for i, c in enumerate(_B64)}


def b64_number(s):
    n = 0
    for c in s:
        n = n * 64 + _B64_VALUE[c]
    return n


def read_entries(index_path, dict_path):
    """Yields (headword, entry_text) in file order, each entry once."""
    with gzip.open(dict_path) as f:
        data = f.read()
    seen = set()
    with open(index_path, encoding="utf-8", errors="replace") as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    rows = [r for r in rows if len(r) >= 3 and not r[0].startswith("00-database")]
    rows.sort(key=lambda r: b64_number(r[1]))
    for head, off, size in (r[:3] for r in rows):
        o, n = b64_number(off), b64_number(size)
        if o in seen:
            continue
        seen.add(o)
        text = data[o:o + n].decode("utf-8", errors="replace")
        if "00-database-" in text[:200]:
            continue  # the database's own header entries (name, URL, license notice)
        yield head, text


_SOURCE_MARK = re.compile(r"\[(?:1913 Webster|Webster 1913 Suppl\.|WordNet 1\.5|PJC|RN=?\d*|CIDE)[^\]]*\]")
_PRON = re.compile(r'^(\S[^\\\n]*?)\s*\\[^\\\n]*\\,?\s*', re.M)
_BRACES = re.compile(r"[{}]")


def clean_gcide(entry):
    entry = _SOURCE_MARK.sub("", entry)
    entry = _PRON.sub(lambda m: m.group(1) + ", ", entry, count=1)
    entry = _BRACES.sub("", entry)
    paras = [unwrap(p) for p in re.split(r"\n\s*\n", entry)]
    return "\n".join(p for p in paras if p)


def clean_foldoc(entry):
    lines = entry.split("\n")
    head, body = lines[0].strip(), "\n".join(lines[1:])
    body = re.sub(r"\{([^}]*)\}", r"\1", body)
    paras = [unwrap(p) for p in re.split(r"\n\s*\n", body)]
    paras = [p for p in paras if p and not re.fullmatch(r"\(\d{4}-\d\d-\d\d\)", p)]
    return head + "\n" + "\n".join(paras)


def clean_plain(entry):
    paras = [unwrap(p) for p in re.split(r"\n\s*\n", entry)]
    return "\n".join(p for p in paras if p)


CLEANERS = {"gcide": clean_gcide, "foldoc": clean_foldoc}

# Bodies that make usable short definitions: "Word, pos. Definition."
_SIMPLE_GCIDE = re.compile(r"^([A-Za-z][A-Za-z \-']*), ([a-z. ]+?\.)\s+(?:\[[^\]]*\]\s*)?(?:1\. )?([A-Z][^\n]{10,300}?\.)(?:\s|$)")


def extract(roots, sink, per_doc=400):
    for root in roots:
        for index_path in sorted(glob.glob(os.path.join(root, "usr/share/dictd/*.index"))):
            name = os.path.basename(index_path)[:-6]
            dict_path = index_path[:-6] + ".dict.dz"
            cleaner = CLEANERS.get(name, clean_plain)
            batch = []
            for head, entry in read_entries(index_path, dict_path):
                text = cleaner(entry)
                if not text:
                    continue
                batch.append(text)
                if name == "gcide":
                    m = _SIMPLE_GCIDE.match(text)
                    if m and "--" not in m.group(3):
                        sink.record("definition", {"word": m.group(1), "pos": m.group(2).strip(),
                                                   "definition": m.group(3).rstrip("."), "examples": [],
                                                   "synonyms": [], "source": "gcide"})
                if len(batch) >= per_doc:
                    sink.doc(clean("\n\n".join(batch)))
                    batch = []
            if batch:
                sink.doc(clean("\n\n".join(batch)))
