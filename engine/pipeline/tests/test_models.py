"""Dense and RecurFormer models: incremental decoding equals the full forward, a RecurFormer with nothing
replaced is the dense model, kept-head slicing is right, and RoPE matches ggml's."""
import math
import unittest

import torch

from engine.pipeline.recurformer.dense import DenseConfig, DenseModel, apply_rope, init_weights, rope_cos_sin
from engine.pipeline.recurformer.gguf_export import permute_rope_rows
from engine.pipeline.recurformer.recurformer import RecurFormerConfig
from engine.pipeline.recurformer.surgery import recurformer_from_dense

SHAPES = {
    "mha": DenseConfig(vocab_size=61, n_layer=2, n_embd=32, n_head=4, n_kv_head=4, ffn_hidden=40, rope_type="norm"),
    "gqa": DenseConfig(vocab_size=61, n_layer=2, n_embd=32, n_head=8, n_kv_head=4, head_dim=6, ffn_hidden=40,
                       rope_type="neox"),
    "qwen2": DenseConfig(vocab_size=61, n_layer=3, n_embd=32, n_head=4, n_kv_head=2, ffn_hidden=40, rope_type="neox",
                         qkv_bias=True, tie_embeddings=True),
}


def dense(shape: str, seed=0) -> DenseModel:
    m = DenseModel(SHAPES[shape])
    init_weights(m, seed, norm_jitter=0.1, bias_std=0.1)
    return m.double().eval()


def randomize_mamba(model, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.mamba_parameters():
            p.add_(torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.3)


def tokens(b, t, vocab=61, seed=1):
    return torch.randint(0, vocab, (b, t), generator=torch.Generator().manual_seed(seed))


def incremental(model, toks, cuts):
    """logits of `toks` fed in pieces [0:cuts[0]], [cuts[0]:cuts[1]], ..., carrying the state"""
    out, state, lo = [], None, 0
    for hi in list(cuts) + [toks.shape[1]]:
        logits, state = model(toks[:, lo:hi], state)
        out.append(logits)
        lo = hi
    return torch.cat(out, dim=1), state


class DenseTest(unittest.TestCase):
    def test_prefill_then_single_steps_equals_full_forward(self):
        for shape in SHAPES:
            with self.subTest(shape=shape), torch.no_grad():
                m = dense(shape)
                toks = tokens(2, 23)
                full, _ = m(toks)
                inc, state = incremental(m, toks, [9, 10, 11, 12, 20])
                torch.testing.assert_close(inc, full, rtol=1e-10, atol=1e-10)
                self.assertEqual(state.pos, 23)
                self.assertEqual(state.layers[0].k.shape[2], 23)

    def test_batch_rows_are_independent_sequences(self):
        m = dense("gqa")
        toks = tokens(2, 15)
        with torch.no_grad():
            both, _ = m(toks)
            one, _ = m(toks[1:])
        torch.testing.assert_close(both[1:], one, rtol=1e-12, atol=1e-12)

    def test_saved_state_is_unaffected_by_later_steps(self):
        m = dense("mha")
        toks = tokens(1, 12)
        with torch.no_grad():
            _, state = m(toks[:, :8])
            saved = state.clone()
            a, _ = m(toks[:, 8:], state)
            m(tokens(1, 3, seed=9), state)             # another continuation from the same state
            b, _ = m(toks[:, 8:], saved)
        torch.testing.assert_close(a, b)

    def test_rope_layouts_are_the_same_model_up_to_a_row_permutation(self):
        neox = dense("gqa")
        norm = DenseModel(DenseConfig(**{**SHAPES["gqa"].__dict__, "rope_type": "norm"})).double().eval()
        norm.load_state_dict(neox.state_dict())
        with torch.no_grad():
            for a, b in zip(norm.layers, neox.layers):
                a.attn.wq.weight.copy_(torch.from_numpy(permute_rope_rows(b.attn.wq.weight.numpy(), 8, "neox", "norm")))
                a.attn.wk.weight.copy_(torch.from_numpy(permute_rope_rows(b.attn.wk.weight.numpy(), 4, "neox", "norm")))
            toks = tokens(1, 20)
            torch.testing.assert_close(norm(toks)[0], neox(toks)[0], rtol=1e-10, atol=1e-10)
            # and without the permutation they differ (the test can fail)
            norm.load_state_dict(neox.state_dict())
            self.assertGreater((norm(toks)[0] - neox(toks)[0]).abs().max().item(), 1e-3)

    def test_rope_angles_are_ggml_s(self):
        hd, base = 16, 10000.0
        cos, sin = rope_cos_sin(torch.arange(300), hd, base, torch.float64)
        theta = torch.arange(300, dtype=torch.float64)[:, None] * base ** (-2 * torch.arange(hd // 2) / hd)
        # ggml computes theta by repeated float32 multiplication: equal to the exact angle to float32 accuracy
        self.assertLess((torch.atan2(sin, cos) - torch.atan2(theta.sin(), theta.cos())).abs().max().item(), 1e-4)
        # norm layout rotates (x0, x1) by theta_0 at position 1
        x = torch.zeros(1, 1, 2, hd, dtype=torch.float64)
        x[..., 0] = 1.0
        c, s = rope_cos_sin(torch.arange(2), hd, base, torch.float64)
        y = apply_rope(x, c, s, "norm")
        torch.testing.assert_close(y[0, 0, 1, :2], torch.tensor([math.cos(1.0), math.sin(1.0)], dtype=torch.float64))


class RecurFormerTest(unittest.TestCase):
    def test_nothing_replaced_is_the_dense_model(self):
        for shape in SHAPES:
            with self.subTest(shape=shape), torch.no_grad():
                d = dense(shape)
                rf = recurformer_from_dense(d, [[] for _ in range(d.config.n_layer)], d_state=8)
                self.assertTrue(all(layer.mamba is None for layer in rf.layers))
                toks = tokens(2, 19)
                torch.testing.assert_close(rf(toks)[0], d(toks)[0], rtol=0, atol=0)

    def test_prefill_then_single_steps_equals_full_forward(self):
        cases = {"mha": [[1, 2], [0, 3]], "gqa": [[0, 3], [1, 2]], "qwen2": [[1], [], [0]]}
        for shape, replaced in cases.items():
            with self.subTest(shape=shape), torch.no_grad():
                rf = recurformer_from_dense(dense(shape), replaced, d_state=5, chunk_size=4)
                randomize_mamba(rf)
                toks = tokens(2, 27)
                full, _ = rf(toks, scan="chunked")
                rec, _ = rf(toks, scan="recurrent")
                torch.testing.assert_close(rec, full, rtol=1e-10, atol=1e-10)
                inc, state = incremental(rf, toks, [10, 11, 12, 13, 25, 26])
                torch.testing.assert_close(inc, full, rtol=1e-10, atol=1e-10)
                kept_kv = [len(rf.config.kept_groups(il)) for il in range(rf.config.n_layer)]
                self.assertEqual([s.kv.k.shape[1] for s in state.layers], kept_kv)   # KV only for kept heads
                self.assertEqual([s.ssm is None for s in state.layers], [not r for r in replaced])

    def test_kept_heads_are_the_dense_heads(self):
        # with the branch silenced (out_proj = 0), a RecurFormer is the dense model minus the replaced heads'
        # contribution, i.e. the dense model with those heads' W_o columns zeroed
        for shape, replaced in {"gqa": [[0, 2], [3, 1]], "qwen2": [[1], [0], [1]]}.items():
            with self.subTest(shape=shape), torch.no_grad():
                d = dense(shape)
                rf = recurformer_from_dense(d, replaced, d_state=4)
                for layer in rf.layers:
                    if layer.mamba is not None:
                        layer.mamba.out_proj.weight.zero_()
                hd = d.config.head_dim
                for il, layer in enumerate(d.layers):
                    for h in rf.config.replaced_query_heads(il):
                        layer.attn.wo.weight[:, h * hd:(h + 1) * hd] = 0
                toks = tokens(1, 21)
                torch.testing.assert_close(rf(toks)[0], d(toks)[0], rtol=1e-10, atol=1e-10)

    def test_the_branch_changes_the_output(self):
        d = dense("mha")
        rf = recurformer_from_dense(d, [[1], [2]], d_state=4)
        toks = tokens(1, 10)
        with torch.no_grad():
            self.assertGreater((rf(toks)[0] - d(toks)[0]).abs().max().item(), 1e-3)

    def test_config_rejects_what_the_gguf_format_cannot_hold(self):
        src = SHAPES["mha"]
        with self.assertRaises(ValueError):
            RecurFormerConfig(source=src, replaced_groups=[[0, 1, 2, 3], []])   # no group kept
        with self.assertRaises(ValueError):
            RecurFormerConfig(source=src, replaced_groups=[[0], [1, 2]])        # unequal branch shapes
        with self.assertRaises(ValueError):
            RecurFormerConfig(source=src, replaced_groups=[[0]])                # wrong layer count
        with self.assertRaises(ValueError):
            RecurFormerConfig(source=src, replaced_groups=[[4], [0]])           # no such group
        cfg = RecurFormerConfig(source=src, replaced_groups=[[2, 0], []])
        self.assertEqual(cfg.replaced_groups, [[0, 2], []])
        self.assertEqual(cfg.kept_query_heads(0), [1, 3])


if __name__ == "__main__":
    unittest.main()
