"""Surgery: kept heads are copied, and the Mamba-2 warm start takes exactly the documented slices of the
replaced heads (surgery.py's module doc). Head selection by recency score."""
import math
import unittest

import torch

from engine.pipeline.recurformer.dense import DenseConfig, DenseModel, init_weights
from engine.pipeline.recurformer.recency import recency_scores, select_replaced_groups
from engine.pipeline.recurformer.surgery import recurformer_from_dense, state_rows


def dense(**kw) -> DenseModel:
    cfg = DenseConfig(**{"vocab_size": 50, "n_layer": 2, "n_embd": 32, "n_head": 8, "n_kv_head": 4, "head_dim": 8,
                         "ffn_hidden": 40, "rope_type": "norm", **kw})
    m = DenseModel(cfg)
    init_weights(m, 0, norm_jitter=0.1, bias_std=0.1)
    return m.eval()


def rows(head, hd, which=None):
    return [head * hd + i for i in (which if which is not None else range(hd))]


class WarmStartTest(unittest.TestCase):
    def setUp(self):
        self.d = dense(qkv_bias=True)          # 8 query heads in 4 KV groups of 2, hd 8
        self.replaced = [[1, 3], [0, 2]]
        self.rf = recurformer_from_dense(self.d, self.replaced, d_state=8, window=32)

    def test_kept_heads_are_copied_in_source_order(self):
        hd = 8
        a, b = self.rf.layers[0].attn, self.d.layers[0].attn      # layer 0 keeps groups 0, 2 = query heads 0, 1, 4, 5
        q_rows = sum((rows(h, hd) for h in (0, 1, 4, 5)), [])
        kv_rows = rows(0, hd) + rows(2, hd)
        torch.testing.assert_close(a.wq.weight, b.wq.weight[q_rows], rtol=0, atol=0)
        torch.testing.assert_close(a.wq.bias, b.wq.bias[q_rows], rtol=0, atol=0)
        torch.testing.assert_close(a.wk.weight, b.wk.weight[kv_rows], rtol=0, atol=0)
        torch.testing.assert_close(a.wv.weight, b.wv.weight[kv_rows], rtol=0, atol=0)
        torch.testing.assert_close(a.wo.weight, b.wo.weight[:, q_rows], rtol=0, atol=0)
        self.assertEqual((a.n_head, a.n_kv_head), (4, 2))

    def test_mamba_in_proj_mirrors_the_replaced_heads(self):
        hd, N = 8, 8
        m, attn = self.rf.layers[0].mamba, self.d.layers[0].attn
        c = m.config
        self.assertEqual((c.n_heads, c.n_groups, c.head_dim, c.d_state), (4, 2, 8, 8))
        W = m.in_proj.weight
        di, GN = c.d_inner, c.n_groups * N
        # x: SSM head h = replaced query head (2, 3, 6, 7)[h]; its rows are W_v of group (1, 1, 3, 3)[h]
        for h, g in enumerate([1, 1, 3, 3]):
            torch.testing.assert_close(W[di + h * hd: di + (h + 1) * hd], attn.wv.weight[rows(g, hd)], rtol=0, atol=0)
            torch.testing.assert_close(m.conv_bias[h * hd:(h + 1) * hd], attn.wv.bias[rows(g, hd)], rtol=0, atol=0)
        # B: group gi = W_k of replaced group; C: the mean of that group's query heads' W_q rows
        for gi, (g, heads) in enumerate([(1, (2, 3)), (3, (6, 7))]):
            B = W[2 * di + gi * N: 2 * di + (gi + 1) * N]
            C = W[2 * di + GN + gi * N: 2 * di + GN + (gi + 1) * N]
            torch.testing.assert_close(B, attn.wk.weight[rows(g, hd)], rtol=0, atol=0)
            q_mean = (attn.wq.weight[rows(heads[0], hd)] + attn.wq.weight[rows(heads[1], hd)]) / 2
            torch.testing.assert_close(C, q_mean, rtol=1e-6, atol=1e-7)
            torch.testing.assert_close(m.conv_bias[di + gi * N: di + (gi + 1) * N], attn.wk.bias[rows(g, hd)])
        # dt rows start at 0; z rows are a seeded default init (not zero, not copied)
        self.assertEqual(W[-c.n_heads:].abs().max().item(), 0.0)
        z = W[:di]
        self.assertGreater(z.abs().max().item(), 0.0)
        self.assertLessEqual(z.abs().max().item(), 1 / math.sqrt(c.d_model))

    def test_out_proj_is_the_replaced_columns_of_w_o(self):
        hd = 8
        cols = sum((rows(h, hd) for h in (2, 3, 6, 7)), [])
        torch.testing.assert_close(self.rf.layers[0].mamba.out_proj.weight, self.d.layers[0].attn.wo.weight[:, cols],
                                   rtol=0, atol=0)
        cols = sum((rows(h, hd) for h in (0, 1, 4, 5)), [])    # layer 1 replaced groups 0 and 2
        torch.testing.assert_close(self.rf.layers[1].mamba.out_proj.weight, self.d.layers[1].attn.wo.weight[:, cols],
                                   rtol=0, atol=0)

    def test_conv_is_identity_and_decay_matches_the_window(self):
        m = self.rf.layers[0].mamba
        self.assertTrue(torch.equal(m.conv_weight[:, -1], torch.ones(m.config.conv_dim)))
        self.assertEqual(m.conv_weight[:, :-1].abs().max().item(), 0.0)
        dt = torch.nn.functional.softplus(m.dt_bias)
        torch.testing.assert_close(dt, torch.full_like(dt, 1 / 32))
        torch.testing.assert_close(m.A(), -torch.ones(m.config.n_heads))
        torch.testing.assert_close(m.D, torch.ones(m.config.n_heads))
        torch.testing.assert_close(m.norm_weight, torch.ones(m.config.d_inner))

    def test_everything_else_is_copied(self):
        sd_rf, sd_d = self.rf.state_dict(), self.d.state_dict()
        for name in ("tok_embd.weight", "output_norm.weight", "output.weight", "layers.1.attn_norm.weight",
                     "layers.1.ffn_norm.weight", "layers.0.ffn.w_gate.weight", "layers.1.ffn.w_down.weight"):
            torch.testing.assert_close(sd_rf[name], sd_d[name], rtol=0, atol=0, msg=name)


class StateSizeTest(unittest.TestCase):
    def test_fewer_state_dims_than_head_dims_keep_the_lowest_rope_frequencies(self):
        # pair i has frequency base^(-2i/hd): the last pairs rotate slowest
        self.assertEqual(state_rows(8, 4, "norm"), [4, 5, 6, 7])          # pairs (4,5), (6,7)
        self.assertEqual(state_rows(8, 4, "neox"), [2, 3, 6, 7])          # pairs (2,6), (3,7)
        self.assertEqual(state_rows(8, 8, "neox"), list(range(8)))
        d = dense(rope_type="neox", n_head=4, n_kv_head=4)
        rf = recurformer_from_dense(d, [[1], [2]], d_state=4)
        m, attn = rf.layers[0].mamba, d.layers[0].attn
        di = m.config.d_inner
        torch.testing.assert_close(m.in_proj.weight[2 * di: 2 * di + 4], attn.wk.weight[[8 + 2, 8 + 3, 8 + 6, 8 + 7]])
        torch.testing.assert_close(m.in_proj.weight[2 * di + 4: 2 * di + 8], attn.wq.weight[[8 + 2, 8 + 3, 8 + 6, 8 + 7]])

    def test_more_state_dims_than_head_dims_start_silent(self):
        d = dense(n_head=4, n_kv_head=4)
        rf = recurformer_from_dense(d, [[1], [2]], d_state=12)       # hd 8, N 12
        m, attn = rf.layers[0].mamba, d.layers[0].attn
        di, N = m.config.d_inner, 12
        B, C = m.in_proj.weight[2 * di: 2 * di + N], m.in_proj.weight[2 * di + N: 2 * di + 2 * N]
        torch.testing.assert_close(B[:8], attn.wk.weight[8:16])
        torch.testing.assert_close(C[:8], attn.wq.weight[8:16])
        self.assertGreater(B[8:].abs().min().item(), 0.0)             # extra B rows: small random
        self.assertEqual(C[8:].abs().max().item(), 0.0)               # extra C rows: zero, so C.B is q.k


class SelectionTest(unittest.TestCase):
    def test_replaces_the_highest_scoring_groups_and_keeps_some(self):
        scores = [[0.1, 0.9, 0.5, 0.7], [0.3, 0.3, 0.2, 0.1]]
        self.assertEqual(select_replaced_groups(scores, keep=1), [[1, 2, 3], [0, 1, 2]])
        self.assertEqual(select_replaced_groups(scores, keep=3), [[1], [0]])
        with self.assertRaises(ValueError):
            select_replaced_groups(scores, keep=0)

    def test_recency_scores_are_attention_mass_in_the_window(self):
        d = dense(n_layer=1)
        toks = torch.randint(0, 50, (2, 40), generator=torch.Generator().manual_seed(0))
        rec, sink = recency_scores(d, toks, window=8, sink=4)
        self.assertEqual((len(rec), len(rec[0])), (1, 4))
        # by hand for group 0 (query heads 0 and 1)
        attn = d.layers[0].attn
        with torch.no_grad():
            h = d.layers[0].attn_norm(d.tok_embd(toks))
            q, k, _ = attn.qkv(h, torch.arange(40))
            p = attn.probs(q, k)
        want = sum(p[b, hq, i, i - 7:i + 1].sum().item() for b in range(2) for hq in (0, 1) for i in range(8, 40))
        self.assertAlmostEqual(rec[0][0], want / (2 * 2 * 32), places=6)
        want_sink = sum(p[b, hq, i, :4].sum().item() for b in range(2) for hq in (0, 1) for i in range(8, 40))
        self.assertAlmostEqual(sink[0][0], want_sink / (2 * 2 * 32), places=6)


if __name__ == "__main__":
    unittest.main()
