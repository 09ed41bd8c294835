"""A Hugging Face checkpoint's data path, on synthetic Qwen2- and Llama-3-style directories (config.json +
safetensors + tokenizer.json + tokenizer_config.json) whose added tokens sit past id 65,535: its own
tokenizer reproduced (split regex, NFC, ignore_merges, added tokens), uint32 shards written and read back,
task rows in its chat template with its special ids, and a GGUF holding its vocabulary that gguf-py reads
back and the patched llama.cpp tokenizes exactly as training did (when node and the engine build exist)."""
import json
import lzma
import os
import random
import shutil
import subprocess
import tempfile
import unicodedata
import unittest
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.pipeline.corpus import prepare
from engine.pipeline.recurformer.dense import DenseConfig, DenseModel, init_weights
from engine.pipeline.recurformer.gguf_export import gguf
from engine.pipeline.recurformer.surgery import recurformer_from_dense
from engine.pipeline.stages import checkpoint, data, export, hf, taskdata
from engine.pipeline.tasks.chat_template import (CHAT_TEMPLATE_JINJA, LLAMA3_TEMPLATE_JINJA, ChatFormat,
                                                 ChatTemplateError, format_chat, parse_chatml)
from engine.pipeline.tokenizer import Tokenizer, pretokenize
from engine.pipeline.tokenizer.pretrained import PretrainedTokenizer, TokenizerError, load_tokenizer
from engine.pipeline.tokenizer.train import count_words, train_bpe

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "node_modules" / "node-llama-cpp" / "llama" / "llama.cpp" / "models" / "templates"
FIRST_ADDED = 66000            # added tokens from here: every separator / chat token needs uint32
N_VOCAB = 66016                # config.json vocab_size: the GGUF pads 66005..66015 as [PAD<i>]
# Qwen2-Instruct's own chat template (a default system prompt when there is none)
QWEN2_TEMPLATE = ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
                  "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
                  "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
                  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
QWEN_ADDED = [("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True), ("<tool_call>", False),
              ("<|fim_prefix|>", False)]
LLAMA_ADDED = [("<|begin_of_text|>", True), ("<|end_of_text|>", True), ("<|start_header_id|>", True),
               ("<|end_header_id|>", True), ("<|eot_id|>", True)]

WORDS = ("the river mill road long night king said unto them and of a in to was it naïve café Привет 東京 "
         "1999 2024 3.14 don't I'll WE'RE zebra's").split()
HARD = ["", " ", "\n\n\n", "a\r\nb", "naïve café 東京 Привет мир ١٢٣ 😀👍🏽", "don't I'll we'RE THEY'VE",
        "x\x1c y\x00z", "trailing   ", "   leading", "mixed\u2003em space\u00a0nbsp\u3000ideographic",
        "12345678901 3.14159", "line\u2028sep", "e\u0301 composed by NFC", "\ufeffbom",
        "tabs\t\tand\n\n  spaces",
        "a quokka, quokkas", "<tool_call>{\"a\": 1}</tool_call>", "<|im_start|> written in a document"]


def dump(obj, *path):
    with open(os.path.join(*path), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False)


def load(*path):
    with open(os.path.join(*path), encoding="utf-8") as f:
        return json.load(f)


def sentence(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 40))).capitalize() + "."


def make_corpus(d):
    """A tiny corpus in corpus/build.py's layout: text per source (documents split by a form feed line),
    manifest.json, fact / definition / FAQ records."""
    rng = random.Random(5)
    os.makedirs(os.path.join(d, "text"))
    os.makedirs(os.path.join(d, "records"))
    sources = [("sotu", "narrative"), ("moby-dick", "narrative"), ("gcide", "reference"), ("python-doc", "technical")]
    for name, _ in sources:
        docs = ["\n".join(sentence(rng) for _ in range(rng.randint(3, 8))) for _ in range(24)]
        Path(d, "text", name + ".txt").write_text("\f\n".join(docs), encoding="utf-8")
    dump({"sources": [{"name": n, "group": g, "status": "ok"} for n, g in sources]}, d, "manifest.json")
    with open(os.path.join(d, "records", "fact.jsonl"), "w") as f:
        for c in ("France", "Peru", "Chad"):
            f.write(json.dumps({"country": c, "field": "Capital - name", "value": c + " City"}) + "\n")
    with open(os.path.join(d, "records", "definition.jsonl"), "w") as f:
        for w in ("river", "mill"):
            f.write(json.dumps({"word": w, "pos": "noun", "definition": "a thing called " + w, "examples": [],
                                "source": "wordnet"}) + "\n")
    with open(os.path.join(d, "records", "faq.jsonl"), "w") as f:
        f.write(json.dumps({"question": "Why?", "answer": "Because.", "source": "test"}) + "\n")
    return Path(d, "text", "sotu.txt").read_text(encoding="utf-8")


def write_hf_dir(d, style, text, merges_as_lists=False):
    """A Qwen2- ("qwen2") or Llama-3-style ("llama3") checkpoint directory with a tiny model. Vocabulary:
    256 byte tokens, ~300 merges learnt on `text`, 'Ġquokka' (a whole token no merge reaches: only
    ignore_merges gives it), filler tokens up to FIRST_ADDED, then the added tokens; config vocab_size N_VOCAB."""
    merges = train_bpe(count_words([text]), 256 + 300, special_tokens=[])
    base = Tokenizer.from_merges(merges, special_tokens=[])
    tokens = list(base.tokens) + ["Ġquokka"]
    tokens += [f"ĉĉ{i:05d}" for i in range(FIRST_ADDED - len(tokens))]
    added = QWEN_ADDED if style == "qwen2" else LLAMA_ADDED
    regex = pretokenize.QWEN2_SPLIT if style == "qwen2" else pretokenize.LLAMA3_SPLIT
    tok_json = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": FIRST_ADDED + k, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": sp} for k, (c, sp) in enumerate(added)],
        "normalizer": {"type": "NFC"} if style == "qwen2" else None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
        if style == "qwen2" else {"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
            {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                        {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [{"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 0}},
                      {"Sequence": {"id": "A", "type_id": 0}},
                      {"SpecialToken": {"id": "<|begin_of_text|>", "type_id": 1}},
                      {"Sequence": {"id": "B", "type_id": 1}}],
             "special_tokens": {"<|begin_of_text|>": {"id": "<|begin_of_text|>", "ids": [FIRST_ADDED],
                                                      "tokens": ["<|begin_of_text|>"]}}}]},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": style == "llama3", "vocab": {t: i for i, t in enumerate(tokens)},
                  "merges": [[a, b] if merges_as_lists else f"{a} {b}" for a, b in base.merges]},
    }
    os.makedirs(d, exist_ok=True)
    dump(tok_json, d, "tokenizer.json")
    if style == "qwen2":
        tcfg = {"add_bos_token": False, "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
                "chat_template": QWEN2_TEMPLATE, "tokenizer_class": "Qwen2Tokenizer"}
    else:
        tcfg = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>", "chat_template": LLAMA3_TEMPLATE_JINJA,
                "tokenizer_class": "PreTrainedTokenizerFast"}
    dump(tcfg, d, "tokenizer_config.json")
    cfg = DenseConfig(vocab_size=N_VOCAB, n_layer=2, n_embd=32, n_head=4, n_kv_head=2, ffn_hidden=64, rope_type="neox",
                      qkv_bias=style == "qwen2", tie_embeddings=True, name=f"tiny-{style}")
    model = DenseModel(cfg)
    init_weights(model, seed=1, embed_std=0.02, bias_std=0.02)
    hf.save_hf(model, d)
    c = load(d, "config.json")
    c.update({"bos_token_id": FIRST_ADDED, "eos_token_id": FIRST_ADDED + (2 if style == "qwen2" else 4)})
    dump(c, d, "config.json")
    return os.path.join(d, "tokenizer.json")


def has_tokenizers():
    try:
        import tokenizers  # noqa: F401
        return True
    except ImportError:
        return False


def has_jinja2():
    try:
        import jinja2  # noqa: F401
        return True
    except ImportError:
        return False


class Fixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.corpus = os.path.join(cls.tmp, "corpus")
        cls.text = make_corpus(cls.corpus)
        cls.qwen_json = write_hf_dir(os.path.join(cls.tmp, "qwen"), "qwen2", cls.text)
        cls.llama_json = write_hf_dir(os.path.join(cls.tmp, "llama"), "llama3", cls.text, merges_as_lists=True)
        cls.qwen = load_tokenizer(cls.qwen_json, backend="bpe")
        cls.llama = load_tokenizer(cls.llama_json, backend="bpe")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)


class PretrainedTokenizerTest(Fixture):
    def test_split_regexes_split_as_qwen2_and_llama3_do(self):
        qwen = pretokenize.isolated_splitter(pretokenize.QWEN2_SPLIT)
        llama = pretokenize.isolated_splitter(pretokenize.LLAMA3_SPLIT)
        text = "I'VE 12345 abc\n\n def  x\u00a0y"
        self.assertEqual(qwen(text), ["I", "'VE", " ", "1", "2", "3", "4", "5", " abc", "\n\n", " def", " ", " x",
                                      "\u00a0y"])
        self.assertEqual(llama(text), ["I", "'VE", " ", "123", "45", " abc", "\n\n", " def", " ", " x", "\u00a0y"])
        gpt2 = pretokenize.isolated_splitter(pretokenize.GPT2_SPLIT)
        self.assertEqual(gpt2("I'VE 12345"), ["I", "'", "VE", " 12345"])      # GPT-2: case-sensitive contractions
        for t in HARD:
            self.assertEqual("".join(qwen(t)), t)
            self.assertEqual("".join(llama(t)), t)
        with self.assertRaises(pretokenize.UnsupportedPattern):
            pretokenize.onig_to_python(r"[^\s\p{L}\p{M}\p{N}]+")              # Qwen3.5's \p{M}

    def test_own_tokenizer_is_still_ours(self):
        tok = Tokenizer.from_merges(train_bpe(count_words([self.text]), 400))
        p = os.path.join(self.tmp, "own.json")
        tok.save(p)
        loaded = load_tokenizer(p)
        self.assertIs(type(loaded), Tokenizer)
        self.assertEqual(loaded.encode(self.text[:3000]), Tokenizer.load(p).encode(self.text[:3000]))

    def test_qwen_style_ids_come_from_its_own_file(self):
        tok = self.qwen
        self.assertIsInstance(tok, PretrainedTokenizer)
        self.assertEqual((tok.pre, tok.vocab_size, tok.backend), ("qwen2", FIRST_ADDED + 5, "bpe"))
        self.assertEqual(tok.separator_id, FIRST_ADDED)                  # config.json bos_token_id = <|endoftext|>
        self.assertEqual((tok.eos_id, tok.eot_id, tok.pad_id), (FIRST_ADDED + 2, FIRST_ADDED + 2, FIRST_ADDED))
        ids = tok.encode("<|im_start|>user\nHi<|im_end|>\n")
        self.assertEqual((ids[0], ids[-2]), (FIRST_ADDED + 1, FIRST_ADDED + 2))
        self.assertEqual(ids[1:-2], tok.encode("user\nHi"))
        # digits one by one (Qwen2's \p{N}), not the digit merges learnt with GPT-2's split
        self.assertEqual(tok.encode("1999"), [tok.encode(c)[0] for c in "1999"])
        self.assertTrue(any(len(tok._bpe._id_bytes[i]) > 1 and tok._bpe._id_bytes[i].isdigit()
                            for i in range(256, 556)), "the fixture has digit merges")
        # NFC before splitting; exact round trips of NFC text
        self.assertEqual(tok.encode("e\u0301"), tok.encode("\u00e9"))
        for t in HARD + [self.text[:5000]]:
            self.assertEqual(tok.decode(tok.encode(t)), unicodedata.normalize("NFC", t), repr(t))
        # plain text: special tokens are text, non-special added tokens stay whole (as tokenizers does)
        plain = tok.encode("<|im_start|><tool_call>", allow_special=False)
        self.assertNotIn(FIRST_ADDED + 1, plain)
        self.assertEqual(plain[-1], FIRST_ADDED + 3)

    def test_llama3_style_bos_eot_and_ignore_merges(self):
        tok = self.llama
        self.assertEqual(tok.pre, "llama-bpe")
        self.assertEqual((tok.separator_id, tok.eos_id, tok.eot_id), (FIRST_ADDED, FIRST_ADDED + 4, FIRST_ADDED + 4))
        quokka = tok.vocab["Ġquokka"]
        self.assertEqual(tok.encode("a quokka"), tok.encode("a") + [quokka])         # whole token, no merges
        self.assertNotIn(quokka, self.qwen.encode("a quokka"))                       # Qwen2 merges; none reaches it
        self.assertEqual(tok.encode("12345"), tok.encode("123") + tok.encode("45"))

    def test_special_ids_agree_with_gguf_py(self):
        for tok in (self.qwen, self.llama):
            sv = gguf.SpecialVocab(tok.directory, n_vocab=N_VOCAB)
            self.assertEqual(sv.special_token_ids.get("bos"), tok.bos_id)
            self.assertEqual(sv.special_token_ids.get("eos"), tok.eos_id)

    def test_what_cannot_be_reproduced_is_refused_naming_the_library(self):
        d = os.path.join(self.tmp, "metaspace")
        os.makedirs(d)
        j = load(self.qwen_json)
        j["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
        dump(j, d, "tokenizer.json")
        with self.assertRaisesRegex(TokenizerError, r"needs the Hugging Face `tokenizers` library.*Metaspace"):
            load_tokenizer(d, backend="bpe")
        if not has_tokenizers():
            with self.assertRaisesRegex(TokenizerError, r"pip install tokenizers"):
                load_tokenizer(d)
        self.assertIsNone(load_tokenizer(d, backend="none").pre)

    @unittest.skipUnless(has_tokenizers(), "the `tokenizers` library is not installed (it is on the GPU machine)")
    def test_bpe_reproduces_the_tokenizers_library(self):
        texts = HARD + [self.text[:20000], "<|im_start|>system\nx<|im_end|>\n<|begin_of_text|>"]
        for path in (self.qwen_json, self.llama_json):
            ref = PretrainedTokenizer(path, backend="tokenizers")
            ours = PretrainedTokenizer(path, backend="bpe")
            for t in texts:
                for special in (True, False):
                    self.assertEqual(ours.encode(t, special), ref.encode(t, special), (path, t, special))


class ChatFormatTest(unittest.TestCase):
    MESSAGES = [[{"role": "user", "content": "Hi there?"}, {"role": "assistant", "content": " Hello. "}],
                [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Q\nline two"}]]

    def check_fallback_matches_jinja(self, template, special):
        jinja = ChatFormat(template, special, renderer="jinja")
        fallback = ChatFormat(template, special, renderer="fallback")
        for msgs in self.MESSAGES:
            for gen in (False, True):
                self.assertEqual(fallback.render(msgs, gen), jinja.render(msgs, gen))
        return fallback

    @unittest.skipUnless(has_jinja2(), "jinja2 is not installed")
    def test_chatml_and_llama3_without_jinja_render_as_the_templates_do(self):
        f = self.check_fallback_matches_jinja(QWEN2_TEMPLATE, {"eos_token": "<|im_end|>"})
        self.assertEqual(f.renderer, "chatml")
        self.assertTrue(f.render(self.MESSAGES[0]).startswith("<|im_start|>system\nYou are a helpful assistant."))
        f = self.check_fallback_matches_jinja(LLAMA3_TEMPLATE_JINJA, {"bos_token": "<|begin_of_text|>"})
        self.assertEqual(f.renderer, "llama3")
        self.assertTrue(f.render(self.MESSAGES[0]).startswith("<|begin_of_text|><|start_header_id|>user"))
        qwen25 = TEMPLATES / "Qwen-Qwen2.5-7B-Instruct.jinja"
        if qwen25.exists():                      # the real Qwen2.5 template (Qwen2.5-0.5B-Instruct has the same)
            f = self.check_fallback_matches_jinja(qwen25.read_text(), {"eos_token": "<|im_end|>"})
            self.assertIn("You are Qwen, created by Alibaba Cloud.", f.render(self.MESSAGES[0]))

    def test_other_templates_without_jinja_fail_naming_jinja2(self):
        for t in ("{% for m in messages %}<|user|>{{ m['content'] }}<|end|>{% endfor %}",
                  "<|start_header_id|>Cutting Knowledge Date: ...<|eot_id|>"):
            f = ChatFormat(t, {}, renderer="fallback")
            with self.assertRaisesRegex(ChatTemplateError, "needs the jinja2 package"):
                f.render([{"role": "user", "content": "x"}])
        with self.assertRaisesRegex(ChatTemplateError, "no chat template"):
            ChatFormat(None, {}, vocabulary={"<s>", "</s>"})

    def test_a_tokenizer_without_a_template_gets_the_one_its_tokens_imply(self):
        f = ChatFormat(None, {}, vocabulary={"<|im_start|>", "<|im_end|>", "<|endoftext|>"})
        self.assertEqual(f.template, CHAT_TEMPLATE_JINJA)
        self.assertEqual(f.render(self.MESSAGES[0]), format_chat(self.MESSAGES[0]))
        f = ChatFormat(None, {"bos_token": "<|begin_of_text|>"},
                       vocabulary={"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"})
        self.assertEqual(f.template, LLAMA3_TEMPLATE_JINJA)

    def test_chatml_samples_parse_back_and_split_into_prompt_and_answer(self):
        sample = format_chat(self.MESSAGES[0])
        self.assertEqual(parse_chatml(sample), (self.MESSAGES[0], False))
        self.assertEqual(parse_chatml(format_chat(self.MESSAGES[1], True)), (self.MESSAGES[1], True))
        with self.assertRaises(ValueError):
            parse_chatml(format_chat([{"role": "user", "content": "a <|im_end|>\n b"}]))
        f = ChatFormat(QWEN2_TEMPLATE, {}, renderer="chatml")
        prompt, answer = f.prompt_and_answer(sample)
        self.assertTrue(prompt.endswith("<|im_start|>user\nHi there?<|im_end|>\n<|im_start|>assistant\n"))
        self.assertEqual(answer, " Hello. <|im_end|>\n")
        f = ChatFormat(LLAMA3_TEMPLATE_JINJA, {"bos_token": "<|begin_of_text|>"}, renderer="llama3")
        prompt, answer = f.prompt_and_answer(sample, strip="<|begin_of_text|>")
        self.assertEqual(prompt, "<|start_header_id|>user<|end_header_id|>\n\nHi there?<|eot_id|>"
                                 "<|start_header_id|>assistant<|end_header_id|>\n\n")
        self.assertEqual(answer, "Hello.<|eot_id|>")


class CheckpointDataTest(Fixture):
    def test_shard_dtype_follows_the_vocabulary(self):
        self.assertEqual(prepare.dtype_for(16384), "uint16-le")
        self.assertEqual(prepare.dtype_for(65535), "uint16-le")
        self.assertEqual(prepare.dtype_for(151665), "uint32-le")
        d = os.path.join(self.tmp, "u16")
        os.makedirs(d)
        ids = np.arange(0, 60000, 7, dtype=np.uint16)
        ids.tofile(os.path.join(d, "a.bin"))
        np.testing.assert_array_equal(data.load_tokens(d), ids)                 # no mix.json: uint16
        dump({"dtype": "uint16-le"}, d, "mix.json")
        np.testing.assert_array_equal(data.load_tokens(d), ids)
        dump({"dtype": "uint32-le"}, d, "mix.json")
        np.testing.assert_array_equal(data.load_tokens(d), ids.view(np.uint32))
        with self.assertRaisesRegex(ValueError, "outside the model's vocabulary of 16384"):
            data.check_token_range(np.array([5, 16384]), 16384, d)

    def test_prepare_writes_uint32_shards_that_read_back_equal(self):
        out = os.path.join(self.tmp, "shards")
        mix = prepare.prepare(self.corpus, self.qwen_json, out, docqa_n=4, docqa_lengths=(300, 500), hashhop_n=4,
                              hashhop_lengths=(200, 300), log=lambda *a: None)
        self.assertEqual(mix["dtype"], "uint32-le")
        self.assertEqual(load(out, "mix.json")["bos_between_documents"], "<|endoftext|>")
        parts = {}
        for s in mix["shards"]:
            with lzma.open(os.path.join(out, s["file"])) as f:
                raw = f.read()
            self.assertEqual(len(raw), 4 * s["tokens"])
            parts[s["file"]] = np.frombuffer(raw, "<u4")
        tokens = data.load_tokens(out)
        np.testing.assert_array_equal(tokens, np.concatenate([parts[f] for f in sorted(parts)]))
        self.assertEqual(tokens.max(), FIRST_ADDED + 2)                          # ids past uint16
        # every document / sample starts with the checkpoint's separator, and the first one is the first document
        doc0 = self.text.split("\f\n")[0].strip("\n")
        narrative = parts["narrative_000.bin.xz"]
        self.assertEqual(narrative[:1 + len(self.qwen.encode(doc0))].tolist(),
                         [FIRST_ADDED] + self.qwen.encode(doc0, allow_special=False))
        # chat samples in the checkpoint's template: its default system prompt, its special ids
        chat = parts["chat_000.bin.xz"]
        starts = np.flatnonzero(chat == FIRST_ADDED)
        self.assertEqual(len(starts), sum(mix["components"]["chat"]["samples"].values()))
        first = self.qwen.decode(chat[starts[0]:starts[1]].tolist())
        self.assertTrue(first.startswith("<|endoftext|><|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                                         "<|im_start|>user\n"), first)
        self.assertEqual(chat[starts[0] + 1], FIRST_ADDED + 1)
        longctx = self.qwen.decode(parts["longctx_000.bin.xz"].tolist())
        self.assertEqual(longctx.count("<|im_start|>system\nYou are a helpful assistant."), 8)
        held = data.load_tokens(out, heldout=True)
        self.assertEqual(len(held), sum(h["tokens"] for h in mix["heldout"] if "tokens" in h))
        self.assertEqual(held[0], FIRST_ADDED)

    def test_task_rows_carry_the_checkpoint_ids_and_mask_its_answers(self):
        paras = os.path.join(self.tmp, "paragraphs.txt.xz")
        taskdata.write_paragraphs(self.corpus, paras)
        lengths = taskdata.DOC_LENGTHS, taskdata.HOP_LENGTHS
        taskdata.DOC_LENGTHS, taskdata.HOP_LENGTHS = (150,), (100,)          # several samples per row
        self.addCleanup(setattr, taskdata, "DOC_LENGTHS", lengths[0])
        self.addCleanup(setattr, taskdata, "HOP_LENGTHS", lengths[1])
        for path, tok, turn_end in ((self.qwen_json, self.qwen, "<|im_end|>\n"), (self.llama_json, self.llama,
                                                                                   "<|eot_id|>")):
            taskdata._init(path, paras)
            for seed in range(3):
                ids, mask = taskdata._row((seed, 900))
                ids, mask = ids.tolist(), mask.tolist()
                self.assertEqual(ids[0], tok.separator_id)
                runs, i = [], 0
                while i < len(mask):
                    if mask[i]:
                        j = i
                        while j < len(mask) and mask[j]:
                            j += 1
                        runs.append((i, j))
                        i = j
                    else:
                        i += 1
                self.assertGreater(len(runs), 1)
                for a, b in runs[:-1]:                    # complete answers (the last may be cut by the row end)
                    answer = tok.decode(ids[a:b])
                    self.assertTrue(answer.endswith(turn_end), answer)
                    self.assertNotIn("<|", answer[:-len(turn_end)])
                    gen = "<|im_start|>assistant\n" if tok is self.qwen else \
                        "<|start_header_id|>assistant<|end_header_id|>\n\n"
                    self.assertTrue(tok.decode(ids[:a]).endswith(gen))
                if tok is self.llama:                     # the template's {{ bos_token }} is the row separator
                    self.assertNotEqual(ids[1], tok.separator_id)
        taskdata._state.clear()
        with self.assertRaisesRegex(ValueError, "has 66005 token ids, the model only 16384"):
            taskdata.check_tokenizer(self.qwen_json, 16384)

    def gguf_fields(self, path):
        r = gguf.GGUFReader(str(path))
        return {k: f.contents() for k, f in r.fields.items() if not k.startswith("GGUF.")}

    def test_export_writes_the_checkpoint_tokenizer_as_llama_cpp_expects(self):
        T = gguf.TokenType
        for style, path in (("qwen2", self.qwen_json), ("llama3", self.llama_json)):
            hf_dir = os.path.dirname(path)
            out = os.path.join(self.tmp, f"{style}-dense.gguf")
            export.main(["--model", hf_dir, "--tokenizer", path, "--out", out, "--ftype", "f32"])
            kv = self.gguf_fields(out)
            src = load(path)
            tcfg = load(hf_dir, "tokenizer_config.json")
            self.assertEqual(kv["general.architecture"], "qwen2" if style == "qwen2" else "llama")
            self.assertEqual(kv["tokenizer.ggml.model"], "gpt2")
            self.assertEqual(kv["tokenizer.ggml.pre"], "qwen2" if style == "qwen2" else "llama-bpe")
            tokens, types = kv["tokenizer.ggml.tokens"], kv["tokenizer.ggml.token_type"]
            self.assertEqual((len(tokens), len(types)), (N_VOCAB, N_VOCAB))
            vocab = src["model"]["vocab"]
            self.assertTrue(all(tokens[i] == t for t, i in vocab.items()))
            self.assertTrue(all(types[i] == T.NORMAL for i in vocab.values()))
            for k, a in enumerate(src["added_tokens"]):
                self.assertEqual(tokens[a["id"]], a["content"])
            expect = {"<|endoftext|>": T.CONTROL, "<|im_start|>": T.CONTROL, "<|im_end|>": T.CONTROL,
                      "<tool_call>": T.USER_DEFINED, "<|fim_prefix|>": T.CONTROL,     # not special, but <|...|>
                      "<|begin_of_text|>": T.CONTROL, "<|eot_id|>": T.CONTROL}
            for a in src["added_tokens"]:
                if a["content"] in expect:
                    self.assertEqual(types[a["id"]], expect[a["content"]], a["content"])
            n_tok = FIRST_ADDED + len(src["added_tokens"])
            self.assertEqual(tokens[n_tok:], [f"[PAD{i}]" for i in range(n_tok, N_VOCAB)])
            self.assertTrue(all(t == T.UNUSED for t in types[n_tok:]))
            merges = src["model"]["merges"]
            self.assertEqual(kv["tokenizer.ggml.merges"], [m if isinstance(m, str) else " ".join(m) for m in merges])
            self.assertEqual(kv["tokenizer.chat_template"], tcfg["chat_template"])
            self.assertNotIn("tokenizer.ggml.scores", kv)
            if style == "qwen2":
                self.assertEqual((kv["tokenizer.ggml.bos_token_id"], kv["tokenizer.ggml.eos_token_id"],
                                  kv["tokenizer.ggml.eot_token_id"], kv["tokenizer.ggml.padding_token_id"]),
                                 (FIRST_ADDED, FIRST_ADDED + 2, FIRST_ADDED + 2, FIRST_ADDED))
                self.assertFalse(kv["tokenizer.ggml.add_bos_token"])
            else:
                self.assertEqual((kv["tokenizer.ggml.bos_token_id"], kv["tokenizer.ggml.eos_token_id"],
                                  kv["tokenizer.ggml.eot_token_id"]), (FIRST_ADDED, FIRST_ADDED + 4, FIRST_ADDED + 4))
                self.assertTrue(kv["tokenizer.ggml.add_bos_token"])           # from TemplateProcessing
            if style == "qwen2":                         # and a RecurFormer of it carries the same vocabulary
                dense, _ = checkpoint.load(hf_dir)
                rf = recurformer_from_dense(dense, [[1], [0]], d_state=8)
                rf_out = os.path.join(self.tmp, "qwen2-rf.gguf")
                export.export(rf.eval(), load_tokenizer(path, backend="none"), rf_out, "f32")
                rkv = self.gguf_fields(rf_out)
                self.assertEqual(rkv["general.architecture"], "recurformer")
                for k in kv:
                    if k.startswith("tokenizer."):
                        self.assertEqual(rkv[k], kv[k], k)

    def test_llama_cpp_tokenizes_the_exported_vocabulary_as_training_did(self):
        script = Path(__file__).with_name("gguf_tokenize.mjs")
        builds = ROOT / "node_modules" / "node-llama-cpp" / "llama" / "localBuilds"
        if shutil.which("node") is None or not any(builds.rglob("llama-addon.node")):
            self.skipTest("node or the patched llama.cpp build (npm install) is missing; gguf-py checks above")
        texts = HARD + [self.text[:4000],
                        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                        "<|im_start|>user\n2024?<|im_end|>\n",
                        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nA quokka's 12345<|eot_id|>"]
        texts_file = os.path.join(self.tmp, "texts.json")
        dump(texts, texts_file)
        for style, path, tok in (("qwen2", self.qwen_json, self.qwen), ("llama3", self.llama_json, self.llama)):
            out = os.path.join(self.tmp, f"{style}-node.gguf")
            export.main(["--model", os.path.dirname(path), "--tokenizer", path, "--out", out, "--ftype", "f32"])
            res = subprocess.run(["node", str(script), out, texts_file], capture_output=True, text=True, timeout=300,
                                 cwd=str(ROOT))
            self.assertEqual(res.returncode, 0, res.stderr[-2000:])
            got = json.loads(res.stdout)
            self.assertEqual((got["bos"], got["eos"], got["eot"]), (tok.bos_id, tok.eos_id, tok.eot_id))
            for t, ids in zip(texts, got["special"]):
                want = tok.encode(t)
                if style == "llama3" and ids[:1] == [tok.bos_id] and want[:1] != [tok.bos_id]:
                    ids = ids[1:]                       # llama-bpe: llama.cpp adds the BOS itself
                if style == "qwen2":
                    want = tok.encode(unicodedata.normalize("NFC", t))     # llama.cpp has no NFC step
                    if t != unicodedata.normalize("NFC", t):
                        continue
                self.assertEqual(ids, want, (style, t))


class DistillChunksTest(unittest.TestCase):
    """convert.distill_loss in chunks of tokens (bounded logits memory for 150k vocabularies) gives the loss
    and gradients of the whole-batch computation, up to the order of float additions."""

    def setUp(self):
        from engine.pipeline.stages import convert
        self.convert = convert
        cfg = DenseConfig(vocab_size=500, n_layer=2, n_embd=32, n_head=4, n_kv_head=2, ffn_hidden=64,
                          rope_type="neox", qkv_bias=True, tie_embeddings=True)
        self.teacher = DenseModel(cfg)
        init_weights(self.teacher, seed=1, embed_std=0.3, bias_std=0.1)
        self.student = recurformer_from_dense(self.teacher, [[1], [0]], d_state=8)
        gen = torch.Generator().manual_seed(2)
        with torch.no_grad():
            for p in self.student.parameters():
                p.add_(0.01 * torch.randn(p.shape, generator=gen))
        self.rows = torch.randint(0, 500, (3, 41), generator=gen)
        self.mask = (torch.rand(3, 41, generator=gen) < 0.3).float()

    def loss_and_grads(self, **kw):
        self.student.zero_grad(set_to_none=True)
        loss = self.convert.distill_loss(self.student, self.teacher, self.rows, **kw)
        loss.backward()
        return loss.item(), {n: p.grad.clone() for n, p in self.student.named_parameters() if p.grad is not None}

    def test_small_vocabularies_are_computed_as_before(self):
        self.convert.set_trainable(self.student, 2)
        with torch.no_grad():
            t = F.log_softmax(self.teacher(self.rows[:, :-1])[0].float(), -1)
            s = F.log_softmax(self.student(self.rows[:, :-1])[0].float(), -1)
            ref = F.kl_div(s.reshape(-1, 500), t.reshape(-1, 500), log_target=True, reduction="batchmean")
        self.assertEqual(self.loss_and_grads()[0], ref.item())                 # bit for bit: not chunked

    def test_chunks_give_the_same_loss_and_gradients(self):
        for stage in (1, 2):
            self.convert.set_trainable(self.student, stage)
            for kw in ({}, {"answer_mask": self.mask, "answer_weight": 0.5}):
                ref_loss, ref_grads = self.loss_and_grads(chunk_tokens=None, **kw)
                for chunk in (7, 40):
                    loss, grads = self.loss_and_grads(chunk_tokens=chunk, **kw)
                    self.assertAlmostEqual(loss, ref_loss, delta=1e-6 * abs(ref_loss))
                    self.assertEqual(set(grads), set(ref_grads))
                    for n, g in grads.items():
                        scale = ref_grads[n].abs().max().clamp(min=1e-12)
                        self.assertLess(float((g - ref_grads[n]).abs().max() / scale), 1e-4, (stage, chunk, n))
        self.assertNotIn("head", self.student.__dict__)                        # forward restored

    def test_large_logits_are_chunked_automatically(self):
        calls = []
        real = self.convert._chunked_distill_loss
        self.addCleanup(setattr, self.convert, "KL_CHUNK_BYTES", self.convert.KL_CHUNK_BYTES)
        self.addCleanup(setattr, self.convert, "_chunked_distill_loss", real)
        self.convert._chunked_distill_loss = lambda *a: calls.append(a[-1]) or real(*a)
        self.convert.set_trainable(self.student, 2)
        ref = self.loss_and_grads()[0]
        self.assertEqual(calls, [])
        self.convert.KL_CHUNK_BYTES = 3 * 40 * 500 * 4 - 1                     # this batch's fp32 logits: 1 byte over
        self.assertAlmostEqual(self.loss_and_grads()[0], ref, delta=1e-6 * ref)
        self.assertEqual(calls, [max(64, self.convert.KL_CHUNK_ELEMENTS // 500)])


if __name__ == "__main__":
    unittest.main()
