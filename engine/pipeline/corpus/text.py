"""Text clean-up shared by every extractor.

Per-source files hold documents separated by a line holding only a form feed
(DOC_SEP). Clean text never contains a form feed itself.
"""
import html
import re
import unicodedata

DOC_SEP = "\f\n"

# C0/C1 controls except tab and newline; also form feed, so DOC_SEP stays unique.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TRAILING_WS = re.compile(r"[ \t]+\n")
_MANY_BLANK = re.compile(r"\n{3,}")
_TAG = re.compile(r"<[^>]*>")


def clean(text):
    """Normalise to NFC, drop control characters, trim trailing blanks and runs of blank lines."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u00ad", "")  # soft hyphen
    text = _CONTROL.sub("", text)
    text = _TRAILING_WS.sub("\n", text)
    text = _MANY_BLANK.sub("\n\n", text)
    return text.strip("\n")


def strip_tags(markup):
    """Remove XML/HTML tags and unescape entities (no structure kept)."""
    return html.unescape(_TAG.sub("", markup))


def unwrap(paragraph):
    """Join hard-wrapped lines of one paragraph into one line."""
    return " ".join(line.strip() for line in paragraph.splitlines() if line.strip())


class LineDeduper:
    """Drops exact repeats of a line across the whole corpus.

    Only lines of at least `min_chars` characters are de-duplicated: short lines
    ("}", "Syn:", "CHAPTER 2.") carry structure, and dropping their repeats would
    mangle code and lists. Sources are processed in a fixed order, so the first
    source to contain a line keeps it.
    """

    def __init__(self, min_chars=24):
        self.min_chars = min_chars
        self.seen = set()
        self.dropped = 0

    def __call__(self, doc):
        out = []
        for line in doc.split("\n"):
            key = line.strip()
            if len(key) >= self.min_chars:
                h = hash(key)
                if h in self.seen:
                    self.dropped += 1
                    continue
                self.seen.add(h)
            out.append(line)
        return _MANY_BLANK.sub("\n\n", "\n".join(out)).strip("\n")
