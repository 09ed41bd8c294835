"""Corpus builder: each extractor on a tiny synthetic input, and the whole build
with a fake fetcher (no network)."""
import gzip
import json
import os
import struct
import tempfile
import unittest
import zlib

from engine.pipeline.corpus import build as build_mod
from engine.pipeline.corpus.extract import brown, dictd, factbook, fortunes, markup, sword, wesnoth, wordnet
from engine.pipeline.corpus.sources import Source
from engine.pipeline.corpus.text import DOC_SEP, LineDeduper, clean


class Sink:
    def __init__(self):
        self.docs, self.records = [], []

    def doc(self, text):
        self.docs.append(text)

    def record(self, kind, obj):
        self.records.append((kind, obj))


def write(path, data, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
        f.write(data)


def make_sword_module(root, moddrv="zText", entry=10):
    """Two blocks (books) of OSIS verses in ot.bz?, written the way libsword does."""
    moddir = "modules/texts/ztext/test/"
    write(os.path.join(root, "usr/share/sword/mods.d/test.conf"),
          f"[Test]\nDataPath=./{moddir}\nModDrv={moddrv}\nCompressType=ZIP\nSourceType=OSIS\n")
    books = [["<title>Book One</title>In the beginning.", "Second <note>a footnote</note>verse &amp; more."],
             ["Other book, <w lemma=\"strong:H1\">first</w> verse."]]
    bzs, bzz, bzv = b"", b"", b""
    fmt = "<IIH" if entry == 10 else "<III"
    bzv += struct.pack(fmt, 0, 0, 0)  # an empty entry (module heading)
    for b, verses in enumerate(books):
        raw, offsets = b"", []
        for v in verses:
            offsets.append((len(raw), len(v.encode())))
            raw += v.encode()
        comp = zlib.compress(raw)
        bzs += struct.pack("<III", len(bzz), len(comp), len(raw))
        bzz += comp
        for off, size in offsets:
            bzv += struct.pack(fmt, b, off, size)
        if b == 0:
            bzv += struct.pack(fmt, b, offsets[0][0], offsets[0][1])  # linked verse: emitted once
    d = os.path.join(root, "usr/share/sword", moddir)
    write(os.path.join(d, "ot.bzs"), bzs, "wb")
    write(os.path.join(d, "ot.bzz"), bzz, "wb")
    write(os.path.join(d, "ot.bzv"), bzv, "wb")


class SwordTest(unittest.TestCase):
    def check(self, moddrv, entry):
        with tempfile.TemporaryDirectory() as root:
            make_sword_module(root, moddrv, entry)
            s = Sink()
            sword.extract([root], s)
        self.assertEqual(s.docs, ["Book One\nIn the beginning.\nSecond verse & more.",
                                  "Other book, first verse."])

    def test_reads_ztext_blocks_and_drops_notes_and_linked_verses(self):
        self.check("zText", 10)

    def test_reads_zcom4_twelve_byte_entries(self):
        self.check("zCom4", 12)

    def test_trusts_the_data_when_moddrv_says_4_but_entries_are_10_bytes(self):
        self.check("zCom4", 10)


def b64(n):
    s = ""
    while True:
        s = dictd._B64[n % 64] + s
        n //= 64
        if not n:
            return s


class DictdTest(unittest.TestCase):
    def test_reads_index_and_dictzip_and_cleans_gcide_entries(self):
        entries = ["00-database-info\nheader to skip\n",
                   "Allocate \\Al\"lo*cate\\, v. t. [LL. allocatus.]\n   1. To distribute or assign; to allot.\n"
                   "      [1913 Webster]\n"]
        with tempfile.TemporaryDirectory() as root:
            data, index, off = b"", "", 0
            for e, head in zip(entries, ["00-database-info", "Allocate"]):
                b = e.encode()
                index += f"{head}\t{b64(off)}\t{b64(len(b))}\n"
                data += b
                off += len(b)
            write(os.path.join(root, "usr/share/dictd/gcide.index"), index)
            write(os.path.join(root, "usr/share/dictd/gcide.dict.dz"), gzip.compress(data), "wb")
            s = Sink()
            dictd.extract([root], s)
        self.assertEqual(s.docs, ["Allocate, v. t. [LL. allocatus.] 1. To distribute or assign; to allot."])
        self.assertEqual(s.records[0][1]["word"], "Allocate")
        self.assertIn("distribute", s.records[0][1]["definition"])

    def test_b64_numbers(self):
        self.assertEqual(dictd.b64_number("Fz"), 5 * 64 + 51)
        self.assertEqual(dictd.b64_number(b64(123456)), 123456)


class SmallFormatsTest(unittest.TestCase):
    def test_wesnoth_dialogue_by_speaker(self):
        cfg = ('[part]\n story= _ "Long ago."\n[/part]\n[message]\n speaker=Delfador\n'
               ' message= _ "We must ""go"" now,\nquickly!"\n[/message]\n')
        self.assertEqual(wesnoth.scenario_text(cfg), 'Long ago.\nDelfador: We must "go" now, quickly!')

    def test_brown_tags_stripped_and_punctuation_rejoined(self):
        line = "The/at jury/nn said/vbd ``/`` it/pps was/bedz fine/jj ''/'' ,/, and/cc left/vbd ./."
        self.assertEqual(brown.detokenize(line), 'The jury said "it was fine", and left.')

    def test_factbook_facts_and_document(self):
        with tempfile.TemporaryDirectory() as root:
            write(os.path.join(root, "package/europe/fr.json"), json.dumps({
                "Government": {"Country name": {"conventional short form": {"text": "France"}},
                               "Capital": {"name": {"text": "Paris"}}}}))
            s = Sink()
            factbook.extract([root], s)
        self.assertIn("Capital - name: Paris", s.docs[0])
        self.assertIn(("fact", {"country": "France", "section": "Government", "field": "Capital - name",
                                "value": "Paris"}), s.records)

    def test_wordnet_synset_line(self):
        line = ('00002137 03 n 02 abstraction 0 abstract_entity 0 010 @ 00001740 n 0000 | a general concept; '
                '"an example here"  \n')
        words, definition, examples = wordnet.parse_line(line)
        self.assertEqual((words, definition, examples),
                         (["abstraction", "abstract entity"], "a general concept", ["an example here"]))
        self.assertIsNone(wordnet.parse_line("  1 This software and database is being provided\n"))

    def test_fortune_riddles_become_faq_pairs(self):
        self.assertEqual(fortunes.qa_pair("TITLE\nA:\tFour.\nQ:\tHow many legs?"), ("How many legs?", "Four."))
        self.assertEqual(fortunes.qa_pair("Q: Why?\nA: Because."), ("Why?", "Because."))
        self.assertIsNone(fortunes.qa_pair("Just a quote."))

    def test_html_to_text_keeps_pre_and_drops_scripts(self):
        html = ("<html><head><title>x</title></head><body><script>var a;</script><h1>Title</h1>"
                "<p>Some &amp; text\nwrapped.</p><pre>code  line\n  indented</pre></body></html>")
        self.assertEqual(clean(markup.html_to_text(html)), "Title\n\nSome & text wrapped.\n\ncode  line\n  indented")

    def test_debian_faq_pairs(self):
        html = '<h3 class="title">1.2. What is Debian?</h3><p>A distribution.</p><h3>1.3. Not a question</h3>'
        self.assertEqual(list(markup.html_faq_pairs(html)), [("What is Debian?", "A distribution.")])

    def test_rst_roles_and_faq_sections(self):
        src = ("Why is Python slow?\n-------------------\n\nUse :func:`len` and ``x``.\n\n.. index:: foo\n   bar\n\n"
               "Other\n-----\n\nText.\n")
        self.assertEqual(list(markup.rst_faq_pairs(src)), [("Why is Python slow?", "Use len and x.")])

    def test_man_page_roff_stripped(self):
        src = '.TH LS 1\n.SH NAME\nls \\- list files\n.SH OPTIONS\n.TP\n.BR \\-a ", " \\-\\-all\nshow \\fBall\\fP\n'
        self.assertEqual(markup.man_to_text(src), "LS\n\nNAME ls - list files\n\nOPTIONS\n\n-a, --all show all")


class DedupTest(unittest.TestCase):
    def test_drops_repeated_long_lines_keeps_short_ones(self):
        d = LineDeduper(min_chars=10)
        self.assertEqual(d("a long repeated line\n}\nunique one here"), "a long repeated line\n}\nunique one here")
        self.assertEqual(d("a long repeated line\n}\nnew line here!"), "}\nnew line here!")
        self.assertEqual(d.dropped, 1)


class BuildTest(unittest.TestCase):
    def test_build_writes_texts_records_and_manifest_without_network(self):
        with tempfile.TemporaryDirectory() as tmp:
            pkg = os.path.join(tmp, "pkg")
            write(os.path.join(pkg, "usr/share/games/fortunes/riddles"), "Q: Why?\nA: Because.\n%\nA quote.\n")

            def fake_fetch(registry, name, cache):
                return pkg, name + "_1.0_all.deb"

            srcs = [Source("fortunes", "apt", ("fortunes-min",), "jokes", "PD", "narrative", fortunes.extract),
                    Source("broken", "apt", ("x",), "fails", "PD", "narrative",
                           lambda roots, sink: (_ for _ in ()).throw(ValueError("bad format"))),
                    Source("skipped", "npm", ("y",), "no", "n/a", "narrative", skip="excluded: reason")]
            m = build_mod.build(os.path.join(tmp, "out"), os.path.join(tmp, "cache"), fetcher=fake_fetch,
                                sources=srcs, log=lambda *a: None)
            by = {s["name"]: s for s in m["sources"]}
            self.assertEqual(by["fortunes"]["status"], "ok")
            self.assertEqual(by["fortunes"]["license"], "PD")
            self.assertEqual(by["broken"]["status"], "failed")
            self.assertIn("bad format", by["broken"]["reason"])
            self.assertEqual(by["skipped"]["reason"], "excluded: reason")
            with open(os.path.join(tmp, "out/text/fortunes.txt"), encoding="utf-8") as f:
                self.assertEqual(f.read(), "Q: Why?\nA: Because.\n\nA quote.\n" + DOC_SEP)
            with open(os.path.join(tmp, "out/records/faq.jsonl"), encoding="utf-8") as f:
                self.assertEqual(json.loads(f.readline())["answer"], "Because.")
            with open(os.path.join(tmp, "out/manifest.json"), encoding="utf-8") as f:
                self.assertEqual(json.load(f)["total_bytes"], by["fortunes"]["bytes"])


if __name__ == "__main__":
    unittest.main()
