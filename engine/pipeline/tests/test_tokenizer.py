"""Tokenizer: exact round trips, special tokens as single ids, the llama.cpp
gpt-2 pre-tokenizer's splits, training determinism, export shapes."""
import os
import tempfile
import unittest

from engine.pipeline.tokenizer import Tokenizer, pretokenize
from engine.pipeline.tokenizer.special import SPECIAL_TOKENS
from engine.pipeline.tokenizer.train import count_words, train_bpe

TEXT = ("Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, "
        "and nothing particular to interest me on shore, I thought I would sail about a little and see the "
        "watery part of the world. It's a way I have of driving off the spleen, and regulating the "
        "circulation.\n\n    def f(x):\n        return x + 1  # code\n\tTabs\tand  double  spaces.\n") * 20

HARD = ["", " ", "  ", "\n\n\n", "a\r\nb", "naïve café 東京 Привет мир ١٢٣ 😀👍🏽", "don't I'll we'RE",
        "x\x1c y\x00z", "trailing   ", "   leading", "mixed\u2003em space\u00a0nbsp", "12345678901",
        "<|im_start|> written in text", "\ufeffbom"]


def small_tokenizer(vocab=400):
    return Tokenizer.from_merges(train_bpe(count_words([TEXT]), vocab))


class PreTokenizerTest(unittest.TestCase):
    def test_gpt2_splits_as_llama_cpp_does(self):
        cases = {
            "Hello world's end": ["Hello", " world", "'s", " end"],
            "a  b": ["a", " ", " b"],
            "a \n\n b": ["a", " \n\n", " b"],
            "x   ": ["x", "   "],
            "abc123 456!!": ["abc", "123", " 456", "!!"],
            "\x1c": ["\x1c"],               # not whitespace for llama.cpp (Python's \\s says it is)
            "a\u3000b": ["a", "\u3000", "b"],
            "it'S": ["it", "'", "S"],       # contractions are case-sensitive in gpt-2
        }
        for text, want in cases.items():
            self.assertEqual(pretokenize.split(text), want, repr(text))

    def test_pieces_cover_the_text(self):
        for t in HARD + [TEXT]:
            self.assertEqual("".join(pretokenize.split(t)), t)


class TokenizerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tok = small_tokenizer()

    def test_round_trips_text_exactly(self):
        for t in HARD + [TEXT]:
            self.assertEqual(self.tok.decode(self.tok.encode(t)), t, repr(t))
            self.assertEqual(self.tok.decode(self.tok.encode(t, allow_special=False)), t, repr(t))

    def test_special_tokens_are_single_ids(self):
        for i, s in enumerate(SPECIAL_TOKENS):
            self.assertEqual(self.tok.encode(s), [i])
        ids = self.tok.encode("<|im_start|>user\nHi<|im_end|>\n")
        self.assertEqual(ids[0], 1)
        self.assertIn(2, ids)
        self.assertNotIn(1, self.tok.encode("<|im_start|>", allow_special=False))

    def test_training_compresses_and_is_deterministic(self):
        again = small_tokenizer()
        self.assertEqual(again.tokens, self.tok.tokens)
        self.assertEqual(self.tok.vocab_size, 400)
        self.assertLess(len(self.tok.encode(TEXT)), len(TEXT.encode()) / 2)

    def test_merges_follow_rank_order(self):
        # encoding one merged token's text gives that token
        for a, b in self.tok.merges[:50]:
            tid = self.tok.token_to_id[a + b]
            text = self.tok.decode([tid])
            if text.encode("utf-8") == self.tok._id_bytes[tid] and pretokenize.split(text) == [text]:
                self.assertEqual(self.tok.encode(text), [self.tok.token_to_id[a + b]], repr(text))

    def test_save_load_hf_json_round_trip(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = os.path.join(tmp, "tokenizer.json")
            self.tok.save(p)
            back = Tokenizer.load(p)
        self.assertEqual(back.tokens, self.tok.tokens)
        self.assertEqual(back.encode(TEXT), self.tok.encode(TEXT))

    def test_gguf_fields(self):
        f = self.tok.to_gguf_fields()
        self.assertEqual(f["tokenizer.ggml.model"], "gpt2")
        self.assertEqual(f["tokenizer.ggml.pre"], "gpt-2")
        self.assertEqual(len(f["tokenizer.ggml.tokens"]), len(f["tokenizer.ggml.token_type"]))
        self.assertEqual(f["tokenizer.ggml.token_type"][:5], [3, 3, 3, 3, 1])
        self.assertEqual(f["tokenizer.ggml.tokens"][f["tokenizer.ggml.eos_token_id"]], "<|im_end|>")
        self.assertEqual(f["tokenizer.ggml.tokens"][f["tokenizer.ggml.bos_token_id"]], "<|endoftext|>")
        self.assertTrue(all(" " in m and len(m.split(" ")) == 2 for m in f["tokenizer.ggml.merges"]))
        self.assertIn("<|im_start|>", f["tokenizer.chat_template"])
        # every merge's parts and result are in the vocabulary (llama.cpp looks them up by text)
        vocab = set(f["tokenizer.ggml.tokens"])
        for m in f["tokenizer.ggml.merges"]:
            a, b = m.split(" ")
            self.assertTrue(a in vocab and b in vocab and a + b in vocab)


if __name__ == "__main__":
    unittest.main()
