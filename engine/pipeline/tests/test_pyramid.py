"""PyramidInfer retention (recurformer/pyramid.py): 100% retention is the plain model, the kept counts follow the
schedule, the recent window stays, the pivotal score picks the attended token, a RecurFormer's Mamba-2 state is
untouched, and decoding with the thinned caches equals one forward with the dropped tokens masked out."""
import unittest

import torch

from engine.pipeline.recurformer import pyramid
from engine.pipeline.recurformer.dense import DenseConfig, DenseModel, init_weights
from engine.pipeline.recurformer.pyramid import Schedule
from engine.pipeline.recurformer.surgery import recurformer_from_dense

CONFIG = DenseConfig(vocab_size=61, n_layer=4, n_embd=32, n_head=4, n_kv_head=2, ffn_hidden=40, rope_type="neox")


def dense(seed=0) -> DenseModel:
    m = DenseModel(CONFIG)
    init_weights(m, seed, norm_jitter=0.1)
    return m.double().eval()


def recurformer():
    rf = recurformer_from_dense(dense(), [[1], [0], [1], []], d_state=4, chunk_size=8)
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in rf.mamba_parameters():
            p.add_(torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.3)
    return rf.double().eval()


def tokens(b, t, seed=1):
    return torch.randint(0, CONFIG.vocab_size, (b, t), generator=torch.Generator().manual_seed(seed))


def decode(model, toks, prefill, schedule, step=1):
    """prefill, then `step` tokens at a time through pyramid.forward: all logits and the last state"""
    logits, state = pyramid.forward(model, toks[:, :prefill], schedule)
    out = [logits]
    for t in range(prefill, toks.shape[1], step):
        logits, state = pyramid.forward(model, toks[:, t:t + step], schedule, state)
        out.append(logits)
    return torch.cat(out, dim=1), state


def cached(state):
    return [pyramid._kv(layer).k.shape[2] for layer in state.model.layers]


class PyramidTest(unittest.TestCase):
    def test_full_retention_is_the_plain_model(self):
        for model in (dense(), recurformer()):
            with self.subTest(model=type(model).__name__), torch.no_grad():
                toks = tokens(2, 30)
                got, state = decode(model, toks, 20, Schedule(r0=1.0, decay=1.0, recent=4, queries=3, every=1))
                want, plain = model(toks[:, :20])
                steps = [want]
                for t in range(20, 30):
                    logits, plain = model(toks[:, t:t + 1], plain)
                    steps.append(logits)
                self.assertTrue(torch.equal(got, torch.cat(steps, dim=1)))
                self.assertEqual(cached(state), [30] * 4)

    def test_kept_counts_follow_the_schedule(self):
        schedule = Schedule(r0=0.8, decay=0.7, recent=16, queries=4, every=5)
        with torch.no_grad():
            _, state = decode(dense(), tokens(1, 55), 50, schedule)
            after_prefill = [len(p[0, 0]) for p in state.kept[0][1]]
        self.assertEqual(after_prefill, [40, 28, 20, 16])         # 50 x 0.8 x 0.7^l = 40, 28, 19.6, 13.72 -> 16
        self.assertEqual(state.kept[1][0], 55)                   # re-selected after 5 more tokens
        self.assertEqual(cached(state), [44, 31, 22, 16])         # 55 x 0.8 x 0.7^l = 44, 30.8, 21.56, 15.09
        self.assertEqual([schedule.keep(n, 0) for n in (10, 16, 17)], [10, 16, 16])   # never below recent, never above n

    def test_recent_window_is_always_kept(self):
        schedule = Schedule(r0=0.5, decay=0.5, recent=6, queries=6, every=3)
        for model in (dense(), recurformer()):
            with self.subTest(model=type(model).__name__), torch.no_grad():
                _, state = decode(model, tokens(2, 48), 36, schedule)
                for n, kept in state.kept:
                    for pos in kept:
                        self.assertTrue(torch.equal(pos[..., -6:], torch.arange(n - 6, n).expand(pos.shape[:2] + (6,))))
                        self.assertTrue(bool((pos[..., 1:] > pos[..., :-1]).all()))

    def test_pivotal_score_picks_the_attended_tokens(self):
        hd = 8
        g = torch.Generator().manual_seed(0)
        k = torch.randn(1, 2, 10, hd, generator=g, dtype=torch.float64) * 0.1
        q = torch.randn(1, 2, 3, hd, generator=g, dtype=torch.float64) * 0.1
        k[0, 0, 5, 0] = k[0, 0, 1, 2] = k[0, 1, 2, 1] = 3.0
        q[0, 0, 1:, 0] = 4.0                           # group 0: the two newest queries look at token 5, the
        q[0, 0, 0, 2] = 5.0                            # oldest one (harder) at token 1: the average picks 5
        q[0, 1, :, 1] = 2.0                            # group 1: every query looks at token 2
        scores = pyramid.pivotal_scores(q, torch.arange(7, 10), k, torch.arange(10).expand(1, 2, 10))
        self.assertEqual(scores.argmax(dim=-1).tolist(), [[5, 2]])
        self.assertTrue(torch.allclose(scores.sum(dim=-1), torch.ones(1, 2, dtype=torch.float64)))
        self.assertEqual(pyramid.select(scores, 4, 3, per_group=True).tolist(), [[[5, 7, 8, 9], [2, 7, 8, 9]]])
        self.assertEqual(pyramid.select(scores, 4, 3, per_group=False).tolist(), [[[5, 7, 8, 9]] * 2])
        self.assertEqual(pyramid.select(scores, 5, 3, per_group=False).tolist(), [[[2, 5, 7, 8, 9]] * 2])

    def test_pivotal_score_sums_a_groups_heads_and_averages_the_queries(self):
        g = torch.Generator().manual_seed(1)
        q = torch.randn(2, 6, 4, 8, generator=g, dtype=torch.float64)        # 6 query heads over 3 KV groups
        k = torch.randn(2, 3, 7, 8, generator=g, dtype=torch.float64)
        k_pos = torch.tensor([0, 2, 3, 7, 9, 10, 12]).expand(2, 3, 7)        # gaps, as after a selection
        q_pos = torch.tensor([9, 10, 11, 12])
        want = torch.zeros(2, 3, 7, dtype=torch.float64)
        for b in range(2):
            for h in range(6):
                for i in range(4):
                    seen = k_pos[b, h // 2] <= q_pos[i]
                    p = torch.softmax(k[b, h // 2, seen] @ q[b, h, i] / 8 ** 0.5, dim=0)
                    want[b, h // 2, seen] += p / 4
        torch.testing.assert_close(pyramid.pivotal_scores(q, q_pos, k, k_pos), want, rtol=1e-12, atol=1e-12)

    def test_recurformer_thins_only_the_kept_heads_kv(self):
        model = recurformer()
        toks = tokens(2, 40)
        with torch.no_grad():
            _, plain = model(toks)
            _, state = pyramid.forward(model, toks, Schedule(r0=0.6, decay=0.6, recent=5, queries=4))
        self.assertEqual(cached(state), [24, 14, 9, 5])
        for mine, theirs in zip(state.model.layers, plain.layers):
            self.assertEqual(mine.kv.k.shape[1], theirs.kv.k.shape[1])
            if theirs.ssm is None:
                self.assertIsNone(mine.ssm)
            else:
                self.assertTrue(torch.equal(mine.ssm.conv, theirs.ssm.conv))
                self.assertTrue(torch.equal(mine.ssm.ssm, theirs.ssm.ssm))

    def test_thinned_decoding_equals_a_masked_forward(self):
        # one token at a time, and in batches of 8 from the start (the engine's select-after-every-batch form)
        for model in (dense(), recurformer()):
            for per_group, prefill, step in ((False, 30, 1), (True, 30, 1), (False, 8, 8)):
                with self.subTest(model=type(model).__name__, per_group=per_group, step=step), torch.no_grad():
                    schedule = Schedule(r0=0.7, decay=0.6, recent=4, queries=3, every=4, per_group=per_group)
                    toks = tokens(2, 44)
                    got, state = decode(model, toks, prefill, schedule, step)
                    self.assertEqual([n for n, _ in state.kept], [30, 34, 38, 42] if step == 1 else [8, 16, 24, 32, 40, 44])
                    masks = pyramid.visibility(state, 44)
                    B, G = masks[3].shape[:2]
                    self.assertLess(int(masks[3].sum()), B * G * 44 * 45 // 2)   # something was dropped
                    want = pyramid.masked_forward(model, toks, masks)
                    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)
                    plain, _ = model(toks)                            # and the thinning changed the logits
                    self.assertGreater((got[:, 31:] - plain[:, 31:]).abs().max().item(), 1e-4)


if __name__ == "__main__":
    unittest.main()
