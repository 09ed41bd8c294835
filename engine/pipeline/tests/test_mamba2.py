"""Mamba-2 block: the chunked SSD scan equals the step recurrence, state carries across calls, and the
block computes what llama.cpp's build_mamba2_layer + ggml ssm_conv/ssm_scan compute (checked against a
literal, loop-by-loop transliteration of those kernels)."""
import math
import unittest

import torch
import torch.nn.functional as F

from engine.pipeline.recurformer.mamba2 import Mamba2, Mamba2Config, Mamba2State, ssd_chunked, ssm_recurrent


def random_block(seed=0, **kw) -> Mamba2:
    cfg = Mamba2Config(**{"d_model": 24, "n_heads": 6, "head_dim": 4, "n_groups": 3, "d_state": 5, "chunk_size": 8,
                          **kw})
    m = Mamba2(cfg).double()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.5)
        m.dt_bias.add_(torch.tensor([-3.0, 0.0, 1.0, 25.0, -1.0, 2.0][: cfg.n_heads]))  # one head past softplus' 20 threshold
    return m


def ggml_reference(m: Mamba2, u: torch.Tensor) -> torch.Tensor:
    """One sequence, token by token, index by index, as ggml's CPU kernels do (ops.cpp ssm_conv_f32 and
    ssm_scan_f32, Mamba-2 branch) plus build_mamba2_layer's glue. u: (T, E) -> (T, E)."""
    c = m.config
    H, P, G, N, K, di = c.n_heads, c.head_dim, c.n_groups, c.d_state, c.d_conv, c.d_inner
    W = m.in_proj.weight
    conv_w, conv_b = m.conv_weight, m.conv_bias
    A = -torch.exp(m.A_log)
    conv_state = [[0.0] * (K - 1) for _ in range(c.conv_dim)]
    s = [[[0.0] * N for _ in range(P)] for _ in range(H)]
    out = []
    for t in range(u.shape[0]):
        zxbcdt = W @ u[t]
        z, xbc_in, dt_raw = zxbcdt[:di], zxbcdt[di:di + c.conv_dim], zxbcdt[di + c.conv_dim:]
        xbc = []
        for ch in range(c.conv_dim):                       # conv_x = [state | new]; x = sum_i0 conv_x[t+i0] * w[i0]
            window = conv_state[ch] + [float(xbc_in[ch])]
            acc = sum(window[i0] * float(conv_w[ch, i0]) for i0 in range(K))
            v = acc + float(conv_b[ch])
            xbc.append(v / (1 + math.exp(-v)))             # silu
            conv_state[ch] = window[1:]
        x, B, C = xbc[:di], xbc[di:di + G * N], xbc[di + G * N:]
        y = [0.0] * di
        for h in range(H):
            d = float(dt_raw[h] + m.dt_bias[h])
            dt = d if d > 20.0 else math.log1p(math.exp(d))   # ggml_compute_softplus_f32
            dA = math.exp(dt * float(A[h]))
            g = h // (H // G)                                   # repeat_interleave
            for i1 in range(P):
                ii = i1 + h * P
                x_dt = x[ii] * dt
                acc = 0.0
                for i0 in range(N):
                    state = s[h][i1][i0] * dA + B[i0 + g * N] * x_dt
                    acc += state * C[i0 + g * N]
                    s[h][i1][i0] = state
                y[ii] = acc + x[ii] * float(m.D[h])             # y += D * x
        y = torch.tensor(y, dtype=torch.float64) * F.silu(z)   # swiglu_split(z, y)
        y = y.view(G, di // G)                                 # grouped RMS norm
        y = y / torch.sqrt(y.pow(2).mean(-1, keepdim=True) + c.rms_eps) * m.norm_weight.view(G, di // G)
        out.append(m.out_proj.weight @ y.reshape(di))
    return torch.stack(out)


class ScanTest(unittest.TestCase):
    def scan_inputs(self, b=2, l=37, H=6, P=4, N=5, seed=1):
        g = torch.Generator().manual_seed(seed)
        r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)
        return (r(b, l, H, P), F.softplus(r(b, l, H)), -torch.exp(r(H) * 0.5), r(b, l, H, N), r(b, l, H, N),
                r(b, H, P, N))

    def test_chunked_scan_equals_step_recurrence(self):
        x, dt, A, B, C, s0 = self.scan_inputs()
        y_ref, s_ref = ssm_recurrent(x, dt, A, B, C, s0)
        for chunk in (1, 4, 8, 37, 64):                    # chunk sizes below, at and above the length
            with self.subTest(chunk=chunk):
                y, s = ssd_chunked(x, dt, A, B, C, s0, chunk)
                torch.testing.assert_close(y, y_ref, rtol=1e-10, atol=1e-10)
                torch.testing.assert_close(s, s_ref, rtol=1e-10, atol=1e-10)

    def test_scan_uses_the_initial_state(self):
        x, dt, A, B, C, s0 = self.scan_inputs()
        y0, _ = ssd_chunked(x, dt, A, B, C, torch.zeros_like(s0), 8)
        y1, _ = ssd_chunked(x, dt, A, B, C, s0, 8)
        self.assertGreater((y1 - y0).abs().max().item(), 1e-3)


class BlockTest(unittest.TestCase):
    def test_block_matches_ggml_kernels_transliterated(self):
        m = random_block()
        u = torch.randn(11, m.config.d_model, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
        with torch.no_grad():
            want = ggml_reference(m, u)
            for scan in ("chunked", "recurrent"):
                got, _ = m(u[None], scan=scan)
                torch.testing.assert_close(got[0], want, rtol=1e-9, atol=1e-9, msg=f"scan={scan}")

    def test_chunked_and_recurrent_blocks_agree(self):
        m = random_block(seed=3, chunk_size=4)
        u = torch.randn(2, 30, m.config.d_model, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
        with torch.no_grad():
            a, sa = m(u, scan="chunked")
            b, sb = m(u, scan="recurrent")
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(sa.ssm, sb.ssm, rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(sa.conv, sb.conv)

    def test_state_carries_over_between_calls(self):
        m = random_block(seed=5)
        u = torch.randn(2, 25, m.config.d_model, generator=torch.Generator().manual_seed(6), dtype=torch.float64)
        with torch.no_grad():
            full, s_full = m(u)
            pieces, state = [], None
            for lo, hi in ((0, 2), (2, 3), (3, 17), (17, 18), (18, 25)):   # prefill, single steps, chunks
                y, state = m(u[:, lo:hi], state)
                pieces.append(y)
        torch.testing.assert_close(torch.cat(pieces, 1), full, rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(state.ssm, s_full.ssm, rtol=1e-10, atol=1e-10)
        torch.testing.assert_close(state.conv, s_full.conv)

    def test_fresh_state_is_zeros_and_the_conv_state_keeps_the_last_inputs(self):
        m = random_block(seed=7)
        c = m.config
        u = torch.randn(1, 6, c.d_model, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
        with torch.no_grad():
            y_none, st = m(u)
            y_zero, _ = m(u, Mamba2State.zeros(c, 1, torch.float64))
            xbc = m.in_proj(u)[..., c.d_inner:c.d_inner + c.conv_dim]
        torch.testing.assert_close(y_none, y_zero)
        torch.testing.assert_close(st.conv, xbc[0, -(c.d_conv - 1):].T[None])

    def test_state_is_not_modified_in_place(self):
        m = random_block(seed=9)
        u = torch.randn(1, 5, m.config.d_model, dtype=torch.float64)
        with torch.no_grad():
            _, st = m(u)
            saved = st.clone()
            m(u, st)
        torch.testing.assert_close(st.ssm, saved.ssm)
        torch.testing.assert_close(st.conv, saved.conv)


if __name__ == "__main__":
    unittest.main()
