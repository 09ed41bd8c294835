"""Makes planted-fact-4k.txt and planted-fact-4k.json, the document question the e2e test drops on
the default pair, exactly as they are committed:

    PYTHONPATH=. /usr/bin/python3 test/e2e/support/make_planted_fact.py          # writes both files
    PYTHONPATH=. /usr/bin/python3 test/e2e/support/make_planted_fact.py --check  # exit 1 unless equal

It needs what the default pair was trained from (engine/pipeline/README.md, "The default pair"):
the corpus text in engine/pipeline/build/corpus and the tokenizer in engine/pipeline/build/tokenizer.
The document is doc_qa.make_doc_qa with seed 4100018 over the held-out paragraphs of sotu,
moby-dick and sword-web at 3900 tokens; the follow-up question asks for the planted fact that comes
next in the document after the one asked first.
"""
import argparse
import json
import random
import sys
from pathlib import Path

from engine.pipeline.tasks import doc_qa
from engine.pipeline.tasks.text_pool import load_paragraphs
from engine.pipeline.tokenizer.bpe import Tokenizer

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
SEED = 4100018
TOKENS = 3900
SOURCES = ("sotu", "moby-dick", "sword-web")
ABOUT = ("A document question in the words and shape the default models were trained on (engine/pipeline/tasks/doc_qa.py): "
         "held-out public-domain text (World English Bible, via sword-text-web) with four planted facts of one kind; the "
         "question asks for one of them. Made with doc_qa.make_doc_qa(random.Random(4100018), held-out paragraphs of sotu + "
         "moby-dick + sword-web, 3900 tokens by the default tokenizer). Both default models answer all four facts correctly "
         "(recurformer ask, greedy).")


def make():
    tokenizer = Tokenizer.load(str(ROOT / "engine/pipeline/build/tokenizer/tokenizer.json"))
    paragraphs = load_paragraphs(str(ROOT / "engine/pipeline/build/corpus"), split="eval", sources=SOURCES)
    if not paragraphs:
        sys.exit("make_planted_fact: no corpus text in engine/pipeline/build/corpus; build it first (engine/pipeline/README.md)")
    count = lambda text: len(tokenizer.encode_ordinary(text))
    sample = doc_qa.make_doc_qa(random.Random(SEED), paragraphs, TOKENS, count)
    # the same draw make_doc_qa made first: the planted facts, the one asked first
    facts = doc_qa._facts(random.Random(SEED), 4)
    lines = sample.document.split("\n")
    in_document = sorted(facts, key=lambda f: lines.index(f[0]))
    follow = in_document[(in_document.index(facts[0]) + 1) % len(in_document)]
    meta = {
        "about": ABOUT,
        "file": "planted-fact-4k.txt",
        "tokens": sample.n_tokens,
        "depth": round(sample.depth, 3),
        "question": sample.question,
        "answer": sample.answer,
        "followUp": {"question": follow[1], "answer": follow[2]},
        "facts": [f[0] for f in in_document],
    }
    return sample.document, json.dumps(meta, indent=2, ensure_ascii=False) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead of writing them")
    args = parser.parse_args()
    text, meta = make()
    files = {HERE / "planted-fact-4k.txt": text, HERE / "planted-fact-4k.json": meta}
    if args.check:
        differ = [path.name for path, content in files.items() if path.read_text(encoding="utf-8") != content]
        print(f"make_planted_fact: {'differ: ' + ', '.join(differ) if differ else 'both files are as made'}")
        return 1 if differ else 0
    for path, content in files.items():
        path.write_text(content, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
