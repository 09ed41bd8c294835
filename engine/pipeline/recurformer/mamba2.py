"""The Mamba-2 (SSD) block, exactly as llama.cpp's build_mamba2_layer computes it.

Shapes: E model width, H SSM heads of dim P (d_inner = H*P), G groups of B/C with state size N,
conv kernel K. SSM head h reads B/C group h // (H/G) (contiguous, like GQA).

    z, xBC, dt = in_proj(u)                        rows ordered z (d_inner), x (d_inner), B (G*N), C (G*N), dt (H)
    xBC = silu(conv1d(xBC) + conv_bias)            depthwise, causal, kernel K; the conv state holds the
                                                   last K-1 inputs (zeros for a fresh sequence)
    x, B, C = split(xBC)
    dt = softplus(dt + dt_bias)                    per head; ggml: x > 20 ? x : log(1 + e^x)
    A  = -exp(A_log)                               per-head scalar, negative
    s_t = exp(dt_t A) s_{t-1} + dt_t x_t B_t^T     state s: (H, P, N) per sequence
    y_t = s_t C_t + D x_t
    y   = rmsnorm_per_group(y * silu(z)) * norm    G groups of d_inner/G channels, model's rms eps
    out = out_proj(y)                              to width E

Two ways to run the scan, which agree to rounding (tests/test_mamba2.py):
  * `ssd_chunked`   -- the SSD "state space duality" form: quadratic (attention-like) inside chunks
                       of `chunk_size` tokens, a linear recurrence between chunks. Matmuls only; for training.
  * `ssm_recurrent` -- the token-by-token recurrence above; for decoding, and the reference.
Both take and return the SSM state, so a sequence can be split anywhere (prefill, then steps).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Mamba2Config:
    d_model: int            # E
    n_heads: int            # H
    head_dim: int           # P
    n_groups: int           # G
    d_state: int = 64       # N
    d_conv: int = 4         # K
    rms_eps: float = 1e-5
    chunk_size: int = 64

    def __post_init__(self):
        if self.n_heads % self.n_groups != 0:
            raise ValueError(f"n_heads {self.n_heads} is not a multiple of n_groups {self.n_groups}")

    @property
    def d_inner(self) -> int:
        return self.n_heads * self.head_dim

    @property
    def conv_dim(self) -> int:
        """channels that go through the conv: x, B, C"""
        return self.d_inner + 2 * self.n_groups * self.d_state

    @property
    def in_dim(self) -> int:
        """in_proj rows: z, x, B, C, dt"""
        return 2 * self.d_inner + 2 * self.n_groups * self.d_state + self.n_heads


@dataclass
class Mamba2State:
    conv: torch.Tensor      # (B, conv_dim, K-1): the last K-1 conv inputs, oldest first
    ssm: torch.Tensor       # (B, H, P, N); llama.cpp stores the same numbers as {N, P, H} per sequence

    def clone(self) -> "Mamba2State":
        return Mamba2State(self.conv.clone(), self.ssm.clone())

    @staticmethod
    def zeros(cfg: Mamba2Config, batch: int, dtype=torch.float32, device=None) -> "Mamba2State":
        return Mamba2State(torch.zeros(batch, cfg.conv_dim, cfg.d_conv - 1, dtype=dtype, device=device),
                           torch.zeros(batch, cfg.n_heads, cfg.head_dim, cfg.d_state, dtype=dtype, device=device))


# ----------------------------------------------------------------------------- the two scans

def ssm_recurrent(x, dt, A, B, C, state):
    """Token-by-token scan.
    x: (b, l, H, P), dt: (b, l, H) after softplus, A: (H,), B, C: (b, l, H, N) (already expanded
    from groups to heads), state: (b, H, P, N). Returns y (b, l, H, P) without the D skip, new state."""
    ys = []
    for t in range(x.shape[1]):
        dA = torch.exp(dt[:, t] * A)                                        # (b, H)
        dBx = (dt[:, t, :, None] * x[:, t])[..., None] * B[:, t, :, None, :]  # (b, H, P, N)
        state = state * dA[:, :, None, None] + dBx
        ys.append(torch.einsum("bhpn,bhn->bhp", state, C[:, t]))
    return torch.stack(ys, dim=1), state


def segsum(a: torch.Tensor) -> torch.Tensor:
    """a: (..., T) -> (..., T, T) with out[i, j] = a[j+1] + ... + a[i] for j <= i, -inf above the
    diagonal; exp(segsum(a)) is the decay from step j to step i. Built from masked cumsums (stable)."""
    T = a.shape[-1]
    a = a[..., None].expand(*a.shape, T)                          # a[..., i, j] = a_i
    strict = torch.ones(T, T, dtype=torch.bool, device=a.device).tril(-1)
    out = a.masked_fill(~strict, 0).cumsum(dim=-2)                # sum over i' in (j, i]
    keep = torch.ones(T, T, dtype=torch.bool, device=a.device).tril(0)
    return out.masked_fill(~keep, float("-inf"))


def ssd_chunked(x, dt, A, B, C, state, chunk_size: int):
    """The same scan as `ssm_recurrent`, in SSD form (Mamba-2 paper, listing 1, with an initial state).
    Inside a chunk: Y = (L o C B^T) X like masked attention, L[i, j] = exp(sum_{j<k<=i} dt_k A);
    between chunks: the state is carried by a recurrence over chunk ends."""
    b, l, H, P = x.shape
    pad = (-l) % chunk_size
    X = x * dt[..., None]                   # dt x   : (b, l, H, P)
    a = dt * A                              # dt A   : (b, l, H)  (log of the per-step decay)
    if pad:  # zero steps: decay exp(0) = 1 and no input, so the final state is unchanged
        X = F.pad(X, (0, 0, 0, 0, 0, pad))
        a = F.pad(a, (0, 0, 0, pad))
        B = F.pad(B, (0, 0, 0, 0, 0, pad))
        C = F.pad(C, (0, 0, 0, 0, 0, pad))
    c = X.shape[1] // chunk_size
    X = X.reshape(b, c, chunk_size, H, P)
    B = B.reshape(b, c, chunk_size, H, -1)
    C = C.reshape(b, c, chunk_size, H, -1)
    a = a.reshape(b, c, chunk_size, H).permute(0, 3, 1, 2)          # (b, H, c, t)
    a_cum = a.cumsum(dim=-1)

    # 1. within each chunk (the "attention" part)
    L = torch.exp(segsum(a))                                          # (b, H, c, t, s)
    y_diag = torch.einsum("bctHn,bcsHn,bHcts,bcsHp->bctHp", C, B, L, X)

    # 2. each chunk's own final state, starting from zero
    decay_to_end = torch.exp(a_cum[..., -1:] - a_cum)                 # (b, H, c, s)
    chunk_states = torch.einsum("bcsHn,bHcs,bcsHp->bcHpn", B, decay_to_end, X)

    # 3. carry the states across chunks, starting from the given state
    states = torch.cat((state[:, None], chunk_states), dim=1)        # (b, c+1, H, P, N)
    decay_chunk = torch.exp(segsum(F.pad(a_cum[..., -1], (1, 0))))   # (b, H, c+1, c+1)
    states = torch.einsum("bHzc,bcHpn->bzHpn", decay_chunk, states)
    states, final_state = states[:, :-1], states[:, -1]

    # 4. what the state entering each chunk contributes to its outputs
    y_off = torch.einsum("bctHn,bcHpn,bHct->bctHp", C, states, torch.exp(a_cum))

    y = (y_diag + y_off).reshape(b, c * chunk_size, H, P)
    return y[:, :l], final_state


# ----------------------------------------------------------------------------- the block

class Mamba2(nn.Module):
    def __init__(self, cfg: Mamba2Config):
        super().__init__()
        self.config = cfg
        self.in_proj = nn.Linear(cfg.d_model, cfg.in_dim, bias=False)
        # conv_weight[c, k] multiplies the input k - (K-1) steps from now (k = K-1 is the current token);
        # GGUF ssm_conv1d.weight {K, conv_dim} holds exactly this matrix.
        self.conv_weight = nn.Parameter(torch.zeros(cfg.conv_dim, cfg.d_conv))
        self.conv_bias = nn.Parameter(torch.zeros(cfg.conv_dim))
        self.dt_bias = nn.Parameter(torch.zeros(cfg.n_heads))
        self.A_log = nn.Parameter(torch.zeros(cfg.n_heads))
        self.D = nn.Parameter(torch.ones(cfg.n_heads))
        self.norm_weight = nn.Parameter(torch.ones(cfg.d_inner))    # group g owns [g*d_inner/G, (g+1)*d_inner/G)
        self.out_proj = nn.Linear(cfg.d_inner, cfg.d_model, bias=False)

    def A(self) -> torch.Tensor:
        return -torch.exp(self.A_log)

    def forward(self, u: torch.Tensor, state: Optional[Mamba2State] = None, scan: str = "auto"):
        """u: (B, T, E). scan: "chunked", "recurrent", or "auto" (recurrent for single tokens).
        Returns (B, T, E) and the state after the last token."""
        cfg = self.config
        Bsz, T, _ = u.shape
        if state is None:
            state = Mamba2State.zeros(cfg, Bsz, u.dtype, u.device)

        z, xBC, dt = self.in_proj(u).split([cfg.d_inner, cfg.conv_dim, cfg.n_heads], dim=-1)

        # causal depthwise conv over [state, new inputs]: out_t = sum_k w[k] in_{t-(K-1)+k}
        conv_in = torch.cat((state.conv, xBC.transpose(1, 2)), dim=2)          # (B, conv_dim, K-1+T)
        new_conv = conv_in[:, :, conv_in.shape[2] - (cfg.d_conv - 1):]
        xBC = F.conv1d(conv_in, self.conv_weight[:, None, :], self.conv_bias, groups=cfg.conv_dim)
        xBC = F.silu(xBC.transpose(1, 2))                                       # (B, T, conv_dim)

        x, Bm, Cm = xBC.split([cfg.d_inner, cfg.n_groups * cfg.d_state, cfg.n_groups * cfg.d_state], dim=-1)
        x = x.reshape(Bsz, T, cfg.n_heads, cfg.head_dim)
        rep = cfg.n_heads // cfg.n_groups                                       # head h -> group h // rep
        Bm = Bm.reshape(Bsz, T, cfg.n_groups, cfg.d_state).repeat_interleave(rep, dim=2)
        Cm = Cm.reshape(Bsz, T, cfg.n_groups, cfg.d_state).repeat_interleave(rep, dim=2)
        dt = F.softplus(dt + self.dt_bias, beta=1.0, threshold=20.0)            # (B, T, H)

        if scan == "recurrent" or (scan == "auto" and T == 1):
            y, ssm = ssm_recurrent(x, dt, self.A(), Bm, Cm, state.ssm)
        else:
            y, ssm = ssd_chunked(x, dt, self.A(), Bm, Cm, state.ssm, cfg.chunk_size)

        y = y + self.D[:, None] * x
        y = y.reshape(Bsz, T, cfg.d_inner) * F.silu(z)
        # gated RMSNorm, one norm per group of d_inner/G channels
        yg = y.reshape(Bsz, T, cfg.n_groups, cfg.d_inner // cfg.n_groups)
        yg = yg * torch.rsqrt(yg.pow(2).mean(-1, keepdim=True) + cfg.rms_eps)
        y = yg.reshape(Bsz, T, cfg.d_inner) * self.norm_weight
        return self.out_proj(y), Mamba2State(new_conv, ssm)
