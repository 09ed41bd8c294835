"""Freshly generated long-context task rows for training: document Q&A (planted facts in real
training-split text) and HashHop chains, packed into rows of `seq_len` tokens with a mask that marks
the answer tokens (the assistant turn). Generated on the fly by worker processes, so no sample
repeats and retrieval, not memorisation, is what lowers the loss.

Two kinds of rows. With `skills.json.xz` (`python -m engine.pipeline.stages.taskdata --skills`: haystack
paragraphs of every training source plus the reference records) the rows are tasks/skills.py's mixture:
document Q&A in many shapes and wrappers, HashHop in several formats, plain chat questions, greetings,
refusals and "I don't know" (the default pair). With `paragraphs.txt.xz` (one paragraph per line, narrative
training split: `--corpus DIR --out FILE`) they are the one-template document Q&A and HashHop rows of
tasks/doc_qa.py and tasks/hashhop.py, which the Hugging Face path uses (re-rendered in the checkpoint's
own chat template).

With a Hugging Face checkpoint's own tokenizer.json (tokenizer/pretrained.py) the rows are that model's:
its separator (BOS, else <|endoftext|>) before every sample and the sample in its chat template
(tokenizer_config.json), the mask on the answer and the template's end of turn (<|im_end|>\n, <|eot_id|>).
"""
from __future__ import annotations

import argparse
import json
import lzma
import multiprocessing as mp
import os
import random
import re
from typing import List, Tuple

import numpy as np
import torch

from ..tasks import skills
from ..tasks.doc_qa import make_doc_qa
from ..tasks.hashhop import make_hashhop
from ..tasks.text_pool import is_heldout, load_paragraphs, read_documents
from ..tokenizer.pretrained import PretrainedTokenizer, load_tokenizer
from ..tokenizer.special import ENDOFTEXT, IM_END

DOC_LENGTHS = (384, 768, 1536, 3000)       # approximate tokens of a document Q&A haystack
HOP_LENGTHS = (256, 512, 1024, 2000)
# skill rows of LONG_ROW_MIN_SEQ tokens or more: LONG_ROW_SHARE of the task rows open with one document question whose
# hay is LONG_DOC_SHARE of the row in approximate tokens (real ones are 0.8-1.2 of them on the training hay, so the
# question still fits): the mix's documents of up to ~6,000 tokens never teach finding a fact 14,000 tokens back
LONG_ROW_MIN_SEQ = 12288
LONG_ROW_SHARE = 0.5
LONG_DOC_SHARE = (0.45, 0.76)

_state = {}


def parse_task_mix(text: str) -> dict:
    """"doc_prose=0,hop=20" -> {"doc_prose": 0.0, "hop": 20.0}: weights that replace skills.TASK_MIX's (for
    ablations); an unknown kind, a weight that is not a number >= 0, or all weights 0 is refused (argparse
    shows why)."""
    mix = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, _, weight = part.partition("=")
        if kind not in skills.TASK_MIX:
            raise argparse.ArgumentTypeError(f"{part!r}: the kinds are {', '.join(sorted(skills.TASK_MIX))}")
        try:
            mix[kind] = float(weight)
        except ValueError:
            mix[kind] = -1.0
        if not mix[kind] >= 0:
            raise argparse.ArgumentTypeError(f"{part!r}: a weight is a number >= 0")
    if not any({**skills.TASK_MIX, **mix}.values()):
        raise argparse.ArgumentTypeError("it leaves every task kind at weight 0")
    return mix


def _init(tokenizer_path: str, paragraphs_path: str, task_mix=None):
    _state["tok"] = load_tokenizer(tokenizer_path)
    _state["task_mix"] = {**skills.TASK_MIX, **(task_mix or {})}
    if paragraphs_path.endswith(SKILLS_SUFFIX):
        _state["skills"] = load_skill_data(paragraphs_path)
        return
    _state["skills"] = None
    with lzma.open(paragraphs_path, "rt", encoding="utf-8") as f:
        _state["paras"] = [p for p in f.read().split("\n") if p.strip()]


def _skill_sample(rng: random.Random, mix=None, length=None) -> Tuple[List[int], List[int]]:
    """A tasks/skills.py sample (with length: a document question with that much hay): text outside its loss spans
    has mask 0, inside 1 (tokenized piecewise at the span edges, which fall where the chat format or a line break
    splits tokens anyway)."""
    tok = _state["tok"]
    s = skills.make_sample(rng, _state["skills"], mix, length)
    ids, mask, pos = [], [], 0
    for a, b in s.spans + [(len(s.text), len(s.text))]:
        head = tok.encode(s.text[pos:a]) if a > pos else []
        body = tok.encode(s.text[a:b]) if b > a else []
        ids += head + body
        mask += [0] * len(head) + [1] * len(body)
        pos = b
    return ids, mask


def _sample(rng: random.Random, mix=None, length=None) -> Tuple[List[int], List[int]]:
    tok = _state["tok"]
    if _state.get("skills") is not None:
        return _skill_sample(rng, mix, length)
    if rng.random() < 0.6:
        s = make_doc_qa(rng, _state["paras"], rng.choice(DOC_LENGTHS))
    else:
        s = make_hashhop(rng, rng.choice(HOP_LENGTHS), rng.choice((1, 1, 2)))
    if isinstance(tok, PretrainedTokenizer):
        prompt_text, answer_text = tok.chat.prompt_and_answer(s.sample, tok.strip_text())
        prompt, answer = tok.encode(prompt_text), tok.encode(answer_text)
    else:
        prompt = tok.encode(s.prompt)
        answer = tok.encode(s.answer + IM_END + "\n")
    return prompt + answer, [0] * len(prompt) + [1] * len(answer)


def _row(args) -> Tuple[np.ndarray, np.ndarray]:
    seed, seq_len = args
    rng = random.Random(seed)
    tok = _state["tok"]
    eot = [tok.separator_id] if isinstance(tok, PretrainedTokenizer) else tok.encode(ENDOFTEXT)
    ids, mask = [], []
    mix = long_doc = None
    if _state.get("skills") is not None:
        chat = skills.chat_row(rng)
        mix = skills.CHAT_MIX if chat else _state["task_mix"]
        if not chat and seq_len >= LONG_ROW_MIN_SEQ and rng.random() < LONG_ROW_SHARE:
            long_doc = int(seq_len * rng.uniform(*LONG_DOC_SHARE))
    while len(ids) < seq_len + 1:
        t, m = _sample(rng, mix, long_doc)
        long_doc = None
        ids += eot + t
        mask += [0] * len(eot) + m
    return np.array(ids[:seq_len + 1], dtype=np.int64), np.array(mask[:seq_len + 1], dtype=np.float32)


def check_tokenizer(tokenizer_path: str, vocab_size: int) -> None:
    """Refuses a tokenizer whose ids the model has no embedding for (another model's tokenizer.json), or
    whose chat template cannot be rendered here."""
    tok = load_tokenizer(tokenizer_path)
    if isinstance(tok, PretrainedTokenizer):
        tok.chat.check()                      # a template that cannot be rendered fails here, not in a worker
    n = tok.vocab_size
    if n > vocab_size:
        raise ValueError(f"{tokenizer_path} has {n} token ids, the model only {vocab_size}: give the model's own "
                         "tokenizer.json (a Hugging Face checkpoint's is in its directory)")


class TaskBatches:
    """(rows, answer_mask) batches from a pool of generator processes, prefetched. Row i of a step
    has its own seed; data-parallel rank r of `world` makes rows r*B..(r+1)*B-1 (as data.Batches)."""

    def __init__(self, tokenizer_path: str, paragraphs_path: str, batch: int, seq_len: int, seed: int,
                 workers: int = 8, rank: int = 0, world: int = 1, task_mix=None):
        self.batch, self.seq_len, self.seed = batch, seq_len, seed
        self.first_row = rank * batch
        self.pool = mp.get_context("spawn").Pool(workers, _init, (tokenizer_path, paragraphs_path, task_mix))
        self.pending = {}

    def _submit(self, step: int):
        if step not in self.pending:
            seeds = [(self.seed * 1_000_003 + step * 4096 + i, self.seq_len)
                     for i in range(self.first_row, self.first_row + self.batch)]
            self.pending[step] = self.pool.map_async(_row, seeds)

    def get(self, step: int, device):
        for s in range(step, step + 4):
            self._submit(s)
        rows = self.pending.pop(step).get()
        ids = torch.from_numpy(np.stack([r[0] for r in rows])).to(device, non_blocking=True)
        mask = torch.from_numpy(np.stack([r[1] for r in rows])).to(device, non_blocking=True)
        return ids, mask

    def close(self):
        self.pool.terminate()


def write_paragraphs(corpus_dir: str, out: str) -> int:
    paras = load_paragraphs(corpus_dir, split="train")
    with lzma.open(out, "wt", encoding="utf-8", preset=6) as f:
        f.write("\n".join(p.replace("\n", " ") for p in paras))
    return len(paras)


SKILLS_SUFFIX = "skills.json.xz"
SKILL_FACT_FIELDS = {"Capital - name": "capital", "Exchange rates": "currency", "Languages": "languages",
                     "Population": "population", "Location": "location", "Internet country code": "internet code",
                     "National holiday": "national holiday", "Independence": "independence"}


def skill_fact(rec):
    """A Factbook record as {"country", "field", "value"} with a short value, or None."""
    field = SKILL_FACT_FIELDS.get(rec["field"])
    if field is None or not rec["value"]:
        return None
    v = rec["value"].split(";")[0].strip()
    if field == "currency":
        v = re.sub(r"\s*\([A-Z]{3}\)", "", v.split(" per ")[0]).strip()
        if not v or any(ch.isdigit() for ch in v):
            return None
    if field == "capital":
        v = v.split(" (")[0]
    v = v.replace(" est.)", " estimate)").rstrip(".")
    if len(v) > 160:
        return None
    return {"country": rec["country"], "field": field, "value": v}


def write_skill_data(corpus_dir: str, out: str, chars_per_source: int = 700_000, definitions: int = 60_000,
                     seed: int = 0) -> dict:
    """skills.json.xz (and facts.json beside it): training-split paragraphs of every skills.TRAIN_HAY_SOURCES source (up to
    chars_per_source each, from documents spread through the source) and the reference records."""
    rng = random.Random(seed)
    hay = {}
    for source in skills.TRAIN_HAY_SOURCES:
        docs = [d for i, d in enumerate(read_documents(corpus_dir, source)) if not is_heldout(source, i)]
        paras = [p.strip() for d in docs for p in d.split("\n") if len(p.strip()) > 30]
        if not paras:
            continue
        take, n, start = [], 0, 0
        while n < chars_per_source and start < len(paras):       # runs of 40 consecutive paragraphs
            at = rng.randrange(len(paras))
            for p in paras[at:at + 40]:
                take.append(p)
                n += len(p)
            start += 40
        hay[source] = take
    def records(kind):
        path = os.path.join(corpus_dir, "records", kind + ".jsonl")
        with open(path, encoding="utf-8") as f:
            return [json.loads(l) for l in f]
    facts = [f for f in map(skill_fact, records("fact")) if f]
    defs = [{"word": d["word"], "pos": d.get("pos", "word"), "definition": d["definition"].strip().rstrip(".;")}
            for d in records("definition") if d.get("source") == "wordnet" and " " not in d["word"]
            and 10 < len(d["definition"]) < 200]
    rng.shuffle(defs)
    faq = [{"question": p["question"].strip(), "answer": p["answer"].strip()} for p in records("faq")
           if p["question"].strip() and p["answer"].strip() and len(p["answer"]) < 3000]
    data = {"hay": hay, "facts": facts, "definitions": defs[:definitions], "faq": faq}
    with lzma.open(out, "wt", encoding="utf-8", preset=6) as f:
        json.dump(data, f, ensure_ascii=False)
    with open(os.path.join(os.path.dirname(out), "facts.json"), "w", encoding="utf-8") as f:
        json.dump(facts, f, ensure_ascii=False)            # the held-out plain questions ask these (tasks/heldout.py)
    return {k: (len(v) if k != "hay" else sum(map(len, v.values()))) for k, v in data.items()}


def load_skill_data(path: str) -> skills.SkillData:
    with lzma.open(path, "rt", encoding="utf-8") as f:
        d = json.load(f)
    return skills.SkillData(d["hay"], d["facts"], d["definitions"], d["faq"])


def main(argv=None):
    ap = argparse.ArgumentParser(description="write the training-split haystack paragraphs (and with --skills the "
                                             "skills.json.xz of tasks/skills.py)")
    ap.add_argument("--corpus", default="engine/pipeline/build/corpus")
    ap.add_argument("--out", default="engine/pipeline/build/taskdata/paragraphs.txt.xz")
    ap.add_argument("--skills", action="store_true", help="write build/taskdata/skills.json.xz (or --out) instead")
    args = ap.parse_args(argv)
    if args.skills and args.out.endswith("paragraphs.txt.xz"):
        args.out = os.path.join(os.path.dirname(args.out), SKILLS_SUFFIX)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    if args.skills:
        print(f"{write_skill_data(args.corpus, args.out)} -> {args.out}")
    else:
        print(f"{write_paragraphs(args.corpus, args.out)} paragraphs -> {args.out}")


if __name__ == "__main__":
    main()
