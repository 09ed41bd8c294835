"""BASED from a dense model (recurformer/based_surgery.py) and its conversion stage (convert.py --arch based):
with every layer a sliding window longer than the input, the BASED model computes the dense logits (MHA and
GQA, both RoPE layouts); linear layers start as the dense layer's own projections; chunked linear attention
equals the recurrent form; a 3-step conversion writes a checkpoint, resumes, exports a Q8_0 GGUF that loads
back with the keys the engine reads, and evaluate_torch answers with it."""
import contextlib
import io
import json
import os
import tempfile
import unittest

import numpy as np
import torch

from engine.pipeline.recurformer.based import (BasedModel, LinearState, linear_attention_parallel,
                                              linear_attention_recurrent, taylor_features)
from engine.pipeline.recurformer.based_gguf import A
from engine.pipeline.recurformer.based_surgery import based_from_dense, new_parameter_names
from engine.pipeline.recurformer.dense import DenseConfig, DenseModel, KVCache, init_weights
from engine.pipeline.recurformer.gguf_load import load_gguf, read_gguf
from engine.pipeline.stages import checkpoint, convert, evaluate_torch, export

TOKENIZER = "engine/pipeline/build/tokenizer/tokenizer.json"


def dense_model(seed=0, **kw) -> DenseModel:
    cfg = DenseConfig(**{**dict(vocab_size=60, n_layer=3, n_embd=32, n_head=4, n_kv_head=4, ffn_hidden=40), **kw})
    model = DenseModel(cfg)
    init_weights(model, seed, norm_jitter=0.1)
    return model.double().eval()


class SurgeryTest(unittest.TestCase):
    def check_all_swa_equals_dense(self, **kw):
        dense = dense_model(1, **kw)
        based = based_from_dense(dense, window=16, feature_dim=4, layer_kinds=["swa"] * 3)
        tokens = torch.randint(0, 60, (2, 12), generator=torch.Generator().manual_seed(2))
        want, _ = dense(tokens)
        got, _ = based(tokens)
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)
        return based

    def test_all_window_layers_within_the_window_are_the_dense_model(self):
        for kw in ({}, {"rope_type": "neox"}, {"n_kv_head": 2, "rope_type": "neox"}, {"tie_embeddings": True}):
            with self.subTest(**kw):
                self.check_all_swa_equals_dense(**kw)

    def test_past_the_window_it_differs(self):
        dense = dense_model(3)
        based = based_from_dense(dense, window=4, feature_dim=4, layer_kinds=["swa"] * 3)
        tokens = torch.randint(0, 60, (1, 12), generator=torch.Generator().manual_seed(4))
        want, got = dense(tokens)[0], based(tokens)[0]
        torch.testing.assert_close(got[:, :4], want[:, :4], rtol=1e-10, atol=1e-10)
        self.assertGreater(float((got[:, 4:] - want[:, 4:]).abs().max()), 1e-3)

    def test_linear_layers_start_from_the_dense_projections(self):
        dense = dense_model(5, n_kv_head=2)          # hd 8, d' 4: the two lowest-frequency pairs (rows 4..7)
        based = based_from_dense(dense, window=8, feature_dim=4)
        self.assertEqual(based.config.layer_kinds, ["linear", "swa", "linear"])
        new, old = based.layers[0], dense.layers[0]
        s = (4 / 8) ** 0.25
        torch.testing.assert_close(new.attn.wq.weight[4:8], old.attn.wq.weight[12:16] * s)   # head 1, rows 4..7
        torch.testing.assert_close(new.attn.wk.weight[4:8], old.attn.wk.weight[4:8] * s)     # head 1 -> group 0
        torch.testing.assert_close(new.attn.wk.weight[8:12], old.attn.wk.weight[12:16] * s)  # head 2 -> group 1
        torch.testing.assert_close(new.attn.wv.weight[8:16], old.attn.wv.weight[0:8])        # head 1 -> group 0
        torch.testing.assert_close(new.attn.wo.weight, old.attn.wo.weight)
        self.assertEqual(float(new.conv.out_proj.weight.abs().sum()), 0.0)
        # the conv adds nothing: after it, the residual stream is the embedding itself
        x = based.tok_embd(torch.tensor([[1, 2, 3]]))
        c, _ = new.conv(new.attn_norm(x), torch.zeros(1, 32, 2, dtype=torch.float64))
        self.assertEqual(float(c.abs().max()), 0.0)
        names = new_parameter_names(based)
        self.assertIn("layers.0.conv.in_proj.weight", names)
        self.assertIn("layers.2.attn.wq.weight", names)
        self.assertNotIn("layers.1.attn.wq.weight", names)
        self.assertTrue(names <= {n for n, _ in based.named_parameters()})

    def test_qkv_biases_are_refused(self):
        with self.assertRaises(ValueError):
            based_from_dense(dense_model(0, qkv_bias=True), window=8, feature_dim=4)


class ChunkedLinearAttentionTest(unittest.TestCase):
    def test_chunks_with_a_remainder_equal_the_recurrent_form(self):
        gen = torch.Generator().manual_seed(6)
        r = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)   # noqa: E731
        fq, fk, v = taylor_features(r(2, 3, 23, 4)), taylor_features(r(2, 3, 23, 4)), r(2, 3, 23, 8)
        kv0, z0 = r(2, 3, 21, 8), taylor_features(r(2, 3, 5, 4)).sum(2)
        want = linear_attention_recurrent(fq, fk, v, kv0, z0)
        for chunk in (4, 5, 23):
            for a, b in zip(linear_attention_parallel(fq, fk, v, kv0, z0, chunk=chunk), want):
                torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


def write_tokens(d, vocab):
    rng = np.random.default_rng(0)
    base = rng.integers(0, vocab, size=2000).astype(np.uint16)
    np.tile(base, 5).tofile(os.path.join(d, "train-000.bin"))
    base[:1500].tofile(os.path.join(d, "heldout-000.bin"))


@unittest.skipUnless(os.path.exists(TOKENIZER), "needs the tokenizer (engine/pipeline/README.md)")
class ConvertExportTest(unittest.TestCase):
    def test_three_steps_checkpoint_resume_export_evaluate(self):
        from engine.pipeline.tokenizer.bpe import Tokenizer
        vocab = Tokenizer.load(TOKENIZER).vocab_size
        with tempfile.TemporaryDirectory() as d:
            write_tokens(d, 256)
            dense = DenseModel(DenseConfig(vocab_size=vocab, n_layer=2, n_embd=32, n_head=4, n_kv_head=2,
                                           ffn_hidden=48, rope_type="neox"))
            init_weights(dense, 0, embed_std=0.1)
            checkpoint.save(os.path.join(d, "dense"), dense)
            out = os.path.join(d, "based")
            args = ["--arch", "based", "--window", "8", "--feature-dim", "4", "--dense", os.path.join(d, "dense"),
                    "--data", d, "--out", out, "--seq-len", "32", "--batch", "2", "--stage1-steps", "2",
                    "--stage2-steps", "1"]
            convert.main(args + ["--minutes", "0"])               # time box over at once: a stage-1 checkpoint
            model, meta = checkpoint.load(out)
            self.assertIsInstance(model, BasedModel)
            self.assertEqual((meta["kind"], meta["stage_index"], meta["window"]), ("based", 1, 8))
            with torch.no_grad():                                  # marks the checkpoint: a resume must keep it
                model.layers[0].conv.in_proj.bias.fill_(0.25)
            checkpoint.save(out, model, extra={k: v for k, v in meta.items() if k not in ("kind", "config")})
            convert.main(args + ["--minutes", "2"])
            model, meta = checkpoint.load(out)
            self.assertEqual(meta["stage_index"], 3)
            self.assertEqual(checkpoint.train_state(os.path.join(out, "stage1"))["step"], 2)
            self.assertEqual(checkpoint.train_state(os.path.join(out, "stage2"))["step"], 1)
            self.assertAlmostEqual(float(model.layers[0].conv.in_proj.bias.mean()), 0.25, delta=0.05)

            gguf_path = os.path.join(d, "based.gguf")
            export.main(["--model", out, "--tokenizer", TOKENIZER, "--out", gguf_path])
            kv, tensors, types = read_gguf(gguf_path)
            self.assertEqual(kv["general.architecture"], "based")
            self.assertEqual((int(kv[f"{A}.attention.sliding_window"]), int(kv[f"{A}.linear_attention.feature_dim"]),
                              int(kv[f"{A}.attention.head_count_kv"])), (8, 4, 4))
            self.assertEqual(list(kv[f"{A}.layer_kinds"]), [1, 0])
            self.assertEqual(types["blk.0.attn_q.weight"], "Q8_0")
            self.assertEqual(tensors["blk.0.attn_q.weight"].shape, (16, 32))
            self.assertIn("tokenizer.chat_template", kv)
            back = load_gguf(gguf_path, dtype=torch.float32)
            tokens = torch.randint(0, vocab, (1, 20), generator=torch.Generator().manual_seed(7))
            want, _ = model(tokens)
            got, state = back(tokens)
            self.assertLess(float((got - want).abs().max()), 0.05 * float(want.abs().max()))   # Q8_0 rounding
            self.assertIsInstance(state.layers[0], LinearState)
            self.assertIsInstance(state.layers[1], KVCache)
            self.assertEqual(state.layers[1].k.shape[2], 7)                                     # w - 1 tokens

            held = os.path.join(d, "heldout")
            os.makedirs(held)
            with open(os.path.join(held, "tiny.jsonl"), "w") as f:
                f.write(json.dumps({"id": "t1", "prompt": "The code is 42. The code is", "max_tokens": 3,
                                    "answer": "42", "score": "contains"}) + "\n")
            with open(os.path.join(held, "heldout_text.txt"), "w") as f:
                f.write("plain held-out text " * 40)
            replies = os.path.join(d, "replies.json")
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                evaluate_torch.main(["--model", out, "--label", "based", "--tokenizer", TOKENIZER, "--heldout", held,
                                     "--out", replies, "--ppl-window", "16", "--ppl-windows", "2"])
            self.assertRegex(printed.getvalue(), r"based tiny: 1 samples, [01] right of 1, ")
            with open(replies) as f:
                result = json.load(f)
            self.assertIn("t1", result["replies"])
            self.assertTrue(np.isfinite(result["perplexity"]["value"]))


if __name__ == "__main__":
    unittest.main()
