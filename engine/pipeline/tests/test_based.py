"""BASED reference (recurformer/based.py): the Taylor kernel, parallel == recurrent linear attention,
incremental decoding == one full forward, a fixed-size state and a window cache of at most w tokens."""
import math
import tempfile
import unittest
from pathlib import Path

import torch

from engine.pipeline.recurformer.based import (BasedConfig, BasedModel, LinearState, linear_attention_parallel,
                                              linear_attention_recurrent, taylor_features)
from engine.pipeline.recurformer.based_gguf import export_based
from engine.pipeline.recurformer.dense import Attention, KVCache, init_weights
from engine.pipeline.recurformer.gguf_load import load_gguf, read_gguf

SHAPE = dict(vocab_size=50, n_layer=4, n_embd=32, n_head=4, feature_dim=4, window=5, conv_kernel=3, ffn_hidden=48)


def random_model(seed=0, **kw) -> BasedModel:
    model = BasedModel(BasedConfig(**{**SHAPE, **kw}))
    init_weights(model, seed, norm_jitter=0.1, bias_std=0.3)
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for layer in model.layers:
            if layer.kind == "linear":
                layer.conv.conv_weight.copy_(torch.randn(layer.conv.conv_weight.shape, generator=gen) * 0.6)
    return model.double().eval()


class TaylorKernelTest(unittest.TestCase):
    def test_features_give_the_second_order_taylor_expansion_of_exp(self):
        gen = torch.Generator().manual_seed(0)
        q, k = torch.randn(6, 16, generator=gen, dtype=torch.float64), torch.randn(6, 16, generator=gen, dtype=torch.float64)
        t = (q * k).sum(-1) / math.sqrt(16)
        got = (taylor_features(q) * taylor_features(k)).sum(-1)
        torch.testing.assert_close(got, 1 + t + t * t / 2)
        self.assertEqual(taylor_features(q).shape[-1], 1 + 16 + 256)


class LinearAttentionTest(unittest.TestCase):
    def test_parallel_form_equals_recurrent_form_from_a_carried_state(self):
        gen = torch.Generator().manual_seed(1)
        r = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)   # noqa: E731
        fq, fk = taylor_features(r(2, 3, 11, 4)), taylor_features(r(2, 3, 11, 4))
        v = r(2, 3, 11, 8)
        kv0, z0 = r(2, 3, 21, 8), taylor_features(r(2, 3, 5, 4)).sum(2)     # a state some tokens built
        y_p, kv_p, z_p = linear_attention_parallel(fq, fk, v, kv0, z0)
        y_r, kv_r, z_r = linear_attention_recurrent(fq, fk, v, kv0, z0)
        for a, b in ((y_p, y_r), (kv_p, kv_r), (z_p, z_r)):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)

    def test_whole_model_parallel_equals_recurrent(self):
        model = random_model(2)
        tokens = torch.randint(0, 50, (2, 13), generator=torch.Generator().manual_seed(3))
        a, _ = model(tokens, form="parallel")
        b, _ = model(tokens, form="recurrent")
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)


class DecodingTest(unittest.TestCase):
    def test_prefill_then_steps_and_chunks_equal_the_full_forward(self):
        model = random_model(4)
        tokens = torch.randint(0, 50, (2, 23), generator=torch.Generator().manual_seed(5))
        full, _ = model(tokens)
        logits, state = model(tokens[:, :7])
        parts = [logits]
        for t in range(7, 15):                      # single tokens: the recurrent form, window cache
            logits, state = model(tokens[:, t:t + 1], state)
            parts.append(logits)
        logits, state = model(tokens[:, 15:], state)  # a chunk again, longer than the window
        parts.append(logits)
        torch.testing.assert_close(torch.cat(parts, dim=1), full, rtol=1e-9, atol=1e-9)

    def test_state_size_is_fixed_and_the_window_cache_holds_at_most_w_tokens(self):
        model = random_model(6)
        cfg = model.config
        sizes = []
        for n in (1, 3, 40, 120):
            _, state = model(torch.randint(0, 50, (1, n), generator=torch.Generator().manual_seed(n)))
            linear = [s for s in state.layers if isinstance(s, LinearState)]
            window = [s for s in state.layers if isinstance(s, KVCache)]
            self.assertEqual(len(linear), cfg.layer_kinds.count("linear"))
            sizes.append(sum(s.numel() for s in linear))
            for kv in window:
                self.assertLessEqual(kv.k.shape[2], cfg.window)
                self.assertEqual(kv.k.shape[2], min(n, cfg.window - 1))
        D = cfg.expanded_dim
        per_layer = cfg.n_embd * (cfg.conv_kernel - 1) + cfg.n_head * D * (cfg.head_dim + 1)
        self.assertEqual(sizes, [per_layer * cfg.layer_kinds.count("linear")] * 4)

    def test_window_attention_within_the_window_is_causal_attention(self):
        model = random_model(7, window=64)
        layer = next(layer for layer in model.layers if layer.kind == "swa")
        full = Attention(32, 4, 4, 8, False, "norm", 10000.0).double()
        for name in ("wq", "wk", "wv", "wo"):
            getattr(full, name).weight.data.copy_(getattr(layer.attn, name).weight.data)
        h = torch.randn(1, 30, 32, dtype=torch.float64, generator=torch.Generator().manual_seed(8))
        pos = torch.arange(30)
        torch.testing.assert_close(layer.attn(h, pos, None)[0], full(h, pos)[0])
        # and past the window it is not
        small = random_model(7, window=4)
        swa = next(layer for layer in small.layers if layer.kind == "swa").attn
        for name in ("wq", "wk", "wv", "wo"):
            getattr(swa, name).weight.data.copy_(getattr(full, name).weight.data)
        self.assertGreater((swa(h, pos, None)[0] - full(h, pos)[0]).abs().max().item(), 1e-3)

    def test_a_config_builds_from_a_shape_dict(self):
        cfg = BasedConfig(**{"n_layer": 6, "n_embd": 64, "n_head": 4, "feature_dim": 16, "window": 64})
        self.assertEqual(cfg.layer_kinds, ["linear", "swa"] * 3)
        self.assertEqual(cfg.head_dim, 16)
        with self.assertRaises(ValueError):
            BasedConfig(n_layer=2, layer_kinds=["linear", "conv"])


class GgufTest(unittest.TestCase):
    def test_export_then_load_gives_the_same_model(self):
        model = random_model(9, vocab_size=300, n_embd=64, layer_kinds=["swa", "linear", "linear", "swa"])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "based.gguf"
            types = export_based(model.float(), path, ftype="f16")
            kv, tensors, _ = read_gguf(path)
            back = load_gguf(path, dtype=torch.float64)
        self.assertEqual(kv["general.architecture"], "based")
        self.assertEqual([int(k) for k in kv["based.layer_kinds"]], [0, 1, 1, 0])
        self.assertEqual(types["blk.1.shortconv.conv.weight"], "F32")
        self.assertEqual(types["blk.1.attn_q.weight"], "F16")
        self.assertEqual(tuple(tensors["blk.1.shortconv.conv.weight"].shape), (64, 3))
        self.assertEqual(back.config.layer_kinds, model.config.layer_kinds)
        tokens = torch.randint(0, 300, (1, 9), generator=torch.Generator().manual_seed(10))
        a, _ = model.double()(tokens)
        b, _ = back(tokens)
        torch.testing.assert_close(a, b, rtol=2e-2, atol=2e-2)     # F16 matrices


if __name__ == "__main__":
    unittest.main()
