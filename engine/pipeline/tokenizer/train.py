"""Train a byte-level BPE vocabulary in pure Python.

    /usr/bin/python3 -m engine.pipeline.tokenizer.train --corpus engine/pipeline/build/corpus \\
        --sample-mb 30 --vocab 16384 --out engine/pipeline/build/tokenizer/tokenizer.json

Algorithm (the usual incremental one):
1. Pre-tokenise the sample with the llama.cpp GPT-2 splitter; count distinct
   pieces (words). Training works on (word, count) pairs, not on the text.
2. Every word is a list of symbol ids, starting from its UTF-8 bytes.
   Keep pair -> count and pair -> set of words containing it.
3. Repeat until the vocabulary is full: take the most frequent pair (ties: the
   smaller (left, right) ids, so runs are deterministic), give it a new id,
   rewrite only the words that contain it, and update the counts of the pairs
   those words lose and gain. A max-heap with lazy deletion finds the best pair.

Words seen fewer than --min-word-count times are left out of training (they
are still encodable: every byte is in the vocabulary).
"""
import argparse
import glob
import heapq
import os
import random
import sys
import time
from collections import Counter

from . import pretokenize
from .bpe import Tokenizer
from .special import SPECIAL_TOKENS


def count_words(texts):
    counts = Counter()
    rx = pretokenize.pattern()
    for t in texts:
        counts.update(rx.findall(t))
    return counts


def train_bpe(word_counts, vocab_size, special_tokens=SPECIAL_TOKENS, min_word_count=1, log=None):
    """Returns merges as a list of (left_bytes, right_bytes)."""
    n_base = len(special_tokens) + 256
    n_merges = vocab_size - n_base
    if n_merges < 0:
        raise ValueError(f"vocab_size {vocab_size} is smaller than {n_base} (specials + 256 bytes)")
    # symbol id -> bytes; ids here are private to training (0..255 bytes, then merges)
    sym_bytes = [bytes([i]) for i in range(256)]
    words, counts = [], []
    for w, c in word_counts.items():
        if c >= min_word_count:
            b = w.encode("utf-8")
            if len(b) > 1:
                words.append(list(b))
                counts.append(c)
    pair_count = Counter()
    where = {}
    for i, (w, c) in enumerate(zip(words, counts)):
        for p in zip(w, w[1:]):
            pair_count[p] += c
            s = where.get(p)
            if s is None:
                where[p] = {i}
            else:
                s.add(i)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges = []
    t0 = time.time()
    while len(merges) < n_merges and heap:
        negc, pair = heapq.heappop(heap)
        c = pair_count.get(pair, 0)
        if c <= 0:
            continue
        if -negc != c:
            heapq.heappush(heap, (-c, pair))  # stale entry: re-queue with the true count
            continue
        a, b = pair
        new = len(sym_bytes)
        sym_bytes.append(sym_bytes[a] + sym_bytes[b])
        merges.append((sym_bytes[a], sym_bytes[b]))
        changed = set()
        for wi in where.pop(pair, ()):
            w, wc = words[wi], counts[wi]
            # remove this word's pairs, rewrite, add its new pairs
            for p in zip(w, w[1:]):
                pair_count[p] -= wc
                changed.add(p)
            out, i, n = [], 0, len(w)
            while i < n:
                if i + 1 < n and w[i] == a and w[i + 1] == b:
                    out.append(new)
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            words[wi] = out
            for p in zip(out, out[1:]):
                pair_count[p] += wc
                changed.add(p)
                s = where.get(p)
                if s is None:
                    where[p] = {wi}
                else:
                    s.add(wi)
        pair_count.pop(pair, None)
        for p in changed:
            pc = pair_count.get(p, 0)
            if pc > 0:
                heapq.heappush(heap, (-pc, p))
            else:
                pair_count.pop(p, None)
        if log and len(merges) % 2000 == 0:
            log(f"  {len(merges)}/{n_merges} merges, {time.time() - t0:.0f}s, last {sym_bytes[new]!r} x{c}")
    return merges


def sample_corpus(corpus_dir, sample_mb, seed=0):
    """An even slice of every source file, sized in proportion to the file, up to sample_mb in total."""
    paths = sorted(glob.glob(os.path.join(corpus_dir, "text", "*.txt")))
    sizes = [os.path.getsize(p) for p in paths]
    total = sum(sizes)
    budget = sample_mb * 1_000_000
    rng = random.Random(seed)
    texts = []
    for p, s in zip(paths, sizes):
        want = int(budget * s / total) if total > budget else s
        with open(p, encoding="utf-8") as f:
            data = f.read()
        if want >= len(data):
            texts.append(data)
            continue
        # take several contiguous chunks at random offsets
        chunk = 200_000
        for _ in range(max(1, want // chunk)):
            off = rng.randrange(0, max(1, len(data) - chunk))
            texts.append(data[off:off + min(chunk, want)])
    return texts


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p.add_argument("--corpus", default=os.path.join(here, "build", "corpus"))
    p.add_argument("--out", default=os.path.join(here, "build", "tokenizer", "tokenizer.json"))
    p.add_argument("--vocab", type=int, default=16384)
    p.add_argument("--sample-mb", type=float, default=30)
    p.add_argument("--min-word-count", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    t0 = time.time()
    texts = sample_corpus(a.corpus, a.sample_mb, a.seed)
    print(f"sample: {sum(len(t) for t in texts) / 1e6:.1f}M chars")
    wc = count_words(texts)
    print(f"pre-tokenised: {len(wc)} distinct pieces, {sum(wc.values())} pieces, {time.time() - t0:.0f}s")
    merges = train_bpe(wc, a.vocab, min_word_count=a.min_word_count, log=print)
    tok = Tokenizer.from_merges(merges)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    tok.save(a.out)
    print(f"vocab {tok.vocab_size} ({len(merges)} merges) -> {a.out}, {time.time() - t0:.0f}s total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
