"""BASED (Arora et al. 2024, "Simple linear attention language models balance the recall-throughput
tradeoff"): Taylor linear attention + exact sliding-window attention + short gated convolutions, as the
patched llama.cpp runs it (`based` architecture, engine/llama/README.md "GGUF format: based").

Shapes: E model width, H heads (both attention kinds), hd = head dim (value dim of linear attention,
q/k/v dim of sliding-window attention), d' = feature dim (linear attention's q/k per head),
D = 1 + d' + d'^2 expanded features, w window, K conv kernel.

Taylor feature map (2nd order), per head, on a d'-dim projection x (q or k):
    phi(x) = [1, x / d'^(1/4), vec(x (x) x) / (sqrt(2) sqrt(d'))]             (D values)
so that phi(q).phi(k) = 1 + t + t^2/2 with t = q.k / sqrt(d'): the Taylor expansion of exp(t), the
softmax kernel at the usual 1/sqrt(d') temperature. 1 + t + t^2/2 >= 1/2 for every t, so the normalizer
below never vanishes (the paper's eps = 1e-12 is left out: at 1/2 it changes nothing in float32).

Causal linear attention, per head (the paper's normalized form):
    parallel:   y_i = sum_{j<=i} phi(q_i).phi(k_j) v_j  /  sum_{j<=i} phi(q_i).phi(k_j)
    recurrent:  S_i = S_{i-1} + phi(k_i) v_i^T     (D x hd)      z_i = z_{i-1} + phi(k_i)     (D)
                y_i = phi(q_i)^T S_i / phi(q_i)^T z_i
The state (S, z) is D x (hd + 1) numbers per head whatever the sequence length. The parallel form runs in
chunks of C tokens (LINEAR_CHUNK): quadratic inside a chunk, the recurrent sums carried between chunks
(S and z before chunk c = S_0 + the chunks before it), so training memory is O(T C + T D), not O(T^2);
the sums are the same, only the order of the additions differs.

Sliding-window attention: softmax attention with RoPE ("norm" layout: pairs 2i, 2i+1) in which query
position p sees key positions p-w+1 .. p (its last w tokens, itself included; llama.cpp's
LLAMA_SWA_TYPE_STANDARD). Decoding keeps only the last w-1 tokens' keys and values. On torch 2.x the masked
softmax runs in scaled_dot_product_attention (no T x T scores kept for training).

Short gated convolution (the paper's BaseConv, expand 2 so its inner width is E):
    u, g = split(W_in h + b_in)                 (E each)
    c_t  = sum_k conv[:, k] * u_{t-(K-1)+k}     depthwise, causal (tap K-1 = the current token), no bias
    out  = W_out (silu(c) * g) + b_out
Its state is the last K-1 inputs u (E x (K-1)).

Layers. Two kinds, chosen per layer by `layer_kinds`:
    "linear":  x = x + conv(rmsnorm(x) * attn_norm)             short gated conv
               x = x + W_o linattn(rmsnorm(x) * attn_norm_2)    Taylor linear attention
               x = x + ffn(rmsnorm(x) * ffn_norm)
    "swa":     x = x + W_o swa(rmsnorm(x) * attn_norm)          sliding-window attention
               x = x + ffn(rmsnorm(x) * ffn_norm)
The paper's configs (e.g. based-360m: 27 layers; linear attention at 1, 6, 11, ..., sliding window at
2, 7, 12, ..., BaseConv in the others) put a conv layer right before each linear-attention layer. Here
each short conv lives inside a "linear" layer, in that order, and conv-only layers are left out: llama.cpp's
recurrent memory gives every recurrent layer the same state row, so a conv-only layer would carry an
unused linear-attention state (for E=512, 8 heads, d'=16: 568 KB per sequence, 70x its conv state) and
the cache could not be measured at its true size. The default pattern alternates linear, swa, ... (the
paper's 1:1 ratio of linear to window layers).

`model(tokens, state)` serves training (whole sequences, parallel form) and decoding (prefill, then one
token at a time, recurrent form); `BasedConfig(**shape)` builds one from a shape dict.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .dense import DecodeState, FeedForward, KVCache, RMSNorm, apply_rope, rope_cos_sin

LAYER_KINDS = ("linear", "swa")
LINEAR_CHUNK = 128          # C: tokens per chunk of the parallel linear attention


def default_pattern(n_layer: int) -> List[str]:
    """linear, swa, linear, swa, ..."""
    return [LAYER_KINDS[il % 2] for il in range(n_layer)]


@dataclass
class BasedConfig:
    vocab_size: int = 320
    n_layer: int = 4
    n_embd: int = 128                # E
    n_head: int = 4                  # H, both attention kinds
    head_dim: int = 0                # hd; 0 means n_embd // n_head
    feature_dim: int = 16            # d'
    window: int = 64                 # w
    conv_kernel: int = 3             # K
    ffn_hidden: int = 256
    layer_kinds: List[str] = field(default_factory=list)   # empty: default_pattern(n_layer)
    rms_eps: float = 1e-5
    rope_base: float = 10000.0
    tie_embeddings: bool = False
    context_length: int = 2048
    name: str = "based"

    def __post_init__(self):
        if self.head_dim == 0:
            self.head_dim = self.n_embd // self.n_head
        self.layer_kinds = list(self.layer_kinds) or default_pattern(self.n_layer)
        if len(self.layer_kinds) != self.n_layer or any(k not in LAYER_KINDS for k in self.layer_kinds):
            raise ValueError(f"layer_kinds must be {self.n_layer} of {LAYER_KINDS}, got {self.layer_kinds}")
        if self.head_dim % 2 != 0:
            raise ValueError("head_dim must be even for RoPE")
        if self.window < 1 or self.conv_kernel < 2:
            raise ValueError("window must be >= 1 and conv_kernel >= 2")

    @property
    def expanded_dim(self) -> int:
        """D = 1 + d' + d'^2"""
        return 1 + self.feature_dim + self.feature_dim ** 2


# ----------------------------------------------------------------------------- linear attention

def taylor_features(x: torch.Tensor) -> torch.Tensor:
    """x: (..., d') -> phi(x): (..., 1 + d' + d'^2), see the module doc."""
    d = x.shape[-1]
    x = x / d ** 0.25
    outer = (x[..., :, None] * x[..., None, :]).flatten(-2) / math.sqrt(2.0)
    return torch.cat((torch.ones_like(x[..., :1]), x, outer), dim=-1)


@dataclass
class LinearState:
    """One linear layer's decoding state: conv (B, E, K-1) = the last K-1 conv inputs, oldest first;
    kv (B, H, D, hd) = sum phi(k) v^T; z (B, H, D) = sum phi(k)."""
    conv: torch.Tensor
    kv: torch.Tensor
    z: torch.Tensor

    def clone(self) -> "LinearState":
        return LinearState(self.conv.clone(), self.kv.clone(), self.z.clone())

    def numel(self) -> int:
        return self.conv[0].numel() + self.kv[0].numel() + self.z[0].numel()


def linear_attention_parallel(fq, fk, v, kv0, z0, chunk: int = LINEAR_CHUNK):
    """fq, fk: (B, H, T, D) features, v: (B, H, T, hd), starting state kv0 (B, H, D, hd), z0 (B, H, D).
    Whole chunks of `chunk` tokens at once (linear_attention_chunks), the rest quadratic. Returns y, kv, z."""
    head = fq.shape[2] // chunk * chunk
    if head <= chunk:
        return linear_attention_quadratic(fq, fk, v, kv0, z0)
    y, kv, z = linear_attention_chunks(fq[:, :, :head], fk[:, :, :head], v[:, :, :head], kv0, z0, chunk)
    if head == fq.shape[2]:
        return y, kv, z
    y2, kv, z = linear_attention_quadratic(fq[:, :, head:], fk[:, :, head:], v[:, :, head:], kv, z)
    return torch.cat((y, y2), dim=2), kv, z


def linear_attention_chunks(fq, fk, v, kv0, z0, chunk: int):
    """T a multiple of `chunk`: per chunk c, y = quadratic part inside c + phi(q) S_before(c) over the same
    normalizer, S_before(c) = S_0 + sum of phi(k) v^T over the chunks before c (likewise z)."""
    B, H, T, D = fq.shape
    n = T // chunk
    q, k = fq.reshape(B, H, n, chunk, D), fk.reshape(B, H, n, chunk, D)
    vv = v.reshape(B, H, n, chunk, v.shape[-1])
    kv_c, z_c = k.transpose(-1, -2) @ vv, k.sum(3)                          # each chunk's sums
    kv_after, z_after = kv0[:, :, None] + kv_c.cumsum(2), z0[:, :, None] + z_c.cumsum(2)
    kv_before = torch.cat((kv0[:, :, None], kv_after[:, :, :-1]), dim=2)     # (B, H, n, D, hd)
    z_before = torch.cat((z0[:, :, None], z_after[:, :, :-1]), dim=2)        # (B, H, n, D)
    scores = (q @ k.transpose(-1, -2)).tril()
    num = scores @ vv + q @ kv_before
    den = scores.sum(-1) + (q * z_before[:, :, :, None]).sum(-1)
    y = (num / den[..., None]).reshape(B, H, T, v.shape[-1])
    return y, kv_after[:, :, -1], z_after[:, :, -1]


def linear_attention_quadratic(fq, fk, v, kv0, z0):
    """Quadratic form over the whole input plus what the carried state contributes."""
    scores = (fq @ fk.transpose(-1, -2)).tril()                              # phi(q_i).phi(k_j), j <= i
    num = scores @ v + fq @ kv0                                              # (B, H, T, hd)
    den = scores.sum(-1) + (fq * z0[:, :, None]).sum(-1)                     # (B, H, T)
    kv = kv0 + fk.transpose(-1, -2) @ v
    z = z0 + fk.sum(2)
    return num / den[..., None], kv, z


def linear_attention_recurrent(fq, fk, v, kv, z):
    """The same, one token at a time: S += phi(k) v^T, z += phi(k), y = phi(q)^T S / phi(q)^T z."""
    ys = []
    for t in range(fq.shape[2]):
        kv = kv + fk[:, :, t, :, None] * v[:, :, t, None, :]
        z = z + fk[:, :, t]
        num = (fq[:, :, t, :, None] * kv).sum(-2)
        den = (fq[:, :, t] * z).sum(-1)
        ys.append(num / den[..., None])
    return torch.stack(ys, dim=2), kv, z


class TaylorLinearAttention(nn.Module):
    def __init__(self, cfg: BasedConfig):
        super().__init__()
        self.n_head, self.head_dim, self.feature_dim = cfg.n_head, cfg.head_dim, cfg.feature_dim
        self.wq = nn.Linear(cfg.n_embd, cfg.n_head * cfg.feature_dim, bias=False)
        self.wk = nn.Linear(cfg.n_embd, cfg.n_head * cfg.feature_dim, bias=False)
        self.wv = nn.Linear(cfg.n_embd, cfg.n_head * cfg.head_dim, bias=False)
        self.wo = nn.Linear(cfg.n_head * cfg.head_dim, cfg.n_embd, bias=False)

    def forward(self, h, kv, z, form: str = "auto"):
        """h: (B, T, E); form: "parallel", "recurrent" or "auto" (recurrent for single tokens)."""
        B, T, _ = h.shape
        fq = taylor_features(self.wq(h).view(B, T, self.n_head, self.feature_dim).transpose(1, 2))
        fk = taylor_features(self.wk(h).view(B, T, self.n_head, self.feature_dim).transpose(1, 2))
        v = self.wv(h).view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        scan = linear_attention_recurrent if form == "recurrent" or (form == "auto" and T == 1) \
            else linear_attention_parallel
        y, kv, z = scan(fq, fk, v, kv, z)
        return self.wo(y.transpose(1, 2).reshape(B, T, -1)), kv, z


# ----------------------------------------------------------------------------- short conv

class ShortConv(nn.Module):
    """The paper's BaseConv at expand 2 (see the module doc)."""

    def __init__(self, cfg: BasedConfig):
        super().__init__()
        self.kernel = cfg.conv_kernel
        self.in_proj = nn.Linear(cfg.n_embd, 2 * cfg.n_embd, bias=True)
        # conv_weight[c, k] multiplies the input k - (K-1) steps from now; GGUF shortconv.conv.weight {K, E}
        self.conv_weight = nn.Parameter(torch.zeros(cfg.n_embd, cfg.conv_kernel))
        self.out_proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=True)

    def forward(self, h, conv_state):
        """h: (B, T, E), conv_state: (B, E, K-1). Returns (B, T, E) and the new conv state."""
        u, g = self.in_proj(h).chunk(2, dim=-1)
        conv_in = torch.cat((conv_state, u.transpose(1, 2)), dim=2)             # (B, E, K-1+T)
        c = F.conv1d(conv_in, self.conv_weight[:, None, :], groups=conv_in.shape[1]).transpose(1, 2)
        return self.out_proj(F.silu(c) * g), conv_in[:, :, conv_in.shape[2] - (self.kernel - 1):]


# ----------------------------------------------------------------------------- sliding window

class SlidingWindowAttention(nn.Module):
    def __init__(self, cfg: BasedConfig):
        super().__init__()
        self.n_head, self.head_dim, self.window, self.rope_base = cfg.n_head, cfg.head_dim, cfg.window, cfg.rope_base
        self.wq = nn.Linear(cfg.n_embd, cfg.n_head * cfg.head_dim, bias=False)
        self.wk = nn.Linear(cfg.n_embd, cfg.n_head * cfg.head_dim, bias=False)
        self.wv = nn.Linear(cfg.n_embd, cfg.n_head * cfg.head_dim, bias=False)
        self.wo = nn.Linear(cfg.n_head * cfg.head_dim, cfg.n_embd, bias=False)

    def forward(self, h, positions, cache: Optional[KVCache]):
        """Keys/values of the cache (the last w-1 tokens before `positions`) then the new ones; query at
        p sees key at p' iff 0 <= p - p' < w. Returns the output and the last w-1 tokens' keys/values."""
        B, T, _ = h.shape
        split = lambda t: t.view(B, T, self.n_head, self.head_dim).transpose(1, 2)   # noqa: E731
        cos, sin = rope_cos_sin(positions, self.head_dim, self.rope_base, h.dtype)
        q = apply_rope(split(self.wq(h)), cos, sin, "norm")
        k = apply_rope(split(self.wk(h)), cos, sin, "norm")
        v = split(self.wv(h))
        if cache is not None:
            k, v = torch.cat((cache.k, k), dim=2), torch.cat((cache.v, v), dim=2)
        last = int(positions[-1]) + 1
        key_pos = torch.arange(last - k.shape[2], last, device=h.device)
        dist = positions[:, None] - key_pos[None, :]
        visible = (dist >= 0) & (dist < self.window)
        if hasattr(F, "scaled_dot_product_attention"):   # torch 2.x: same math, fused
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=visible)
        else:
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.head_dim)
            y = scores.masked_fill(~visible, float("-inf")).softmax(-1) @ v
        start = max(0, k.shape[2] - (self.window - 1))
        kept = KVCache(k[:, :, start:], v[:, :, start:])
        return self.wo(y.transpose(1, 2).reshape(B, T, -1)), kept


# ----------------------------------------------------------------------------- the model

class BasedBlock(nn.Module):
    def __init__(self, cfg: BasedConfig, kind: str):
        super().__init__()
        self.kind = kind
        self.attn_norm = RMSNorm(cfg.n_embd, cfg.rms_eps)
        if kind == "linear":
            self.conv = ShortConv(cfg)
            self.attn_norm_2 = RMSNorm(cfg.n_embd, cfg.rms_eps)
            self.attn = TaylorLinearAttention(cfg)
        else:
            self.attn = SlidingWindowAttention(cfg)
        self.ffn_norm = RMSNorm(cfg.n_embd, cfg.rms_eps)
        self.ffn = FeedForward(cfg.n_embd, cfg.ffn_hidden)

    def zero_state(self, cfg: BasedConfig, batch: int, dtype, device):
        if self.kind == "swa":
            empty = torch.zeros(batch, cfg.n_head, 0, cfg.head_dim, dtype=dtype, device=device)
            return KVCache(empty, empty.clone())
        D = cfg.expanded_dim
        return LinearState(torch.zeros(batch, cfg.n_embd, cfg.conv_kernel - 1, dtype=dtype, device=device),
                           torch.zeros(batch, cfg.n_head, D, cfg.head_dim, dtype=dtype, device=device),
                           torch.zeros(batch, cfg.n_head, D, dtype=dtype, device=device))

    def forward(self, x, positions, state, form: str = "auto"):
        if self.kind == "swa":
            a, state = self.attn(self.attn_norm(x), positions, state)
            x = x + a
        else:
            c, conv = self.conv(self.attn_norm(x), state.conv)
            x = x + c
            a, kv, z = self.attn(self.attn_norm_2(x), state.kv, state.z, form)
            x = x + a
            state = LinearState(conv, kv, z)
        x = x + self.ffn(self.ffn_norm(x))
        return x, state


class BasedModel(nn.Module):
    def __init__(self, cfg: BasedConfig):
        super().__init__()
        self.config = cfg
        self.tok_embd = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.layers = nn.ModuleList(BasedBlock(cfg, kind) for kind in cfg.layer_kinds)
        self.output_norm = RMSNorm(cfg.n_embd, cfg.rms_eps)
        self.output = None if cfg.tie_embeddings else nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)

    def output_weight(self) -> torch.Tensor:
        return self.tok_embd.weight if self.output is None else self.output.weight

    def head(self, x):
        return F.linear(self.output_norm(x), self.output_weight())

    def forward(self, tokens: torch.Tensor, state: Optional[DecodeState] = None, form: str = "auto"):
        """Same contract as DenseModel.forward: logits (B, T, vocab) and the new DecodeState (one
        LinearState or window KVCache per layer). form: see TaylorLinearAttention.forward."""
        past = 0 if state is None else state.pos
        positions = torch.arange(past, past + tokens.shape[1], device=tokens.device)
        x = self.tok_embd(tokens)
        layer_states = []
        for il, layer in enumerate(self.layers):
            st = state.layers[il] if state is not None else \
                layer.zero_state(self.config, tokens.shape[0], x.dtype, x.device)
            x, st = layer(x, positions, st, form)
            layer_states.append(st)
        return self.head(x), DecodeState(past + tokens.shape[1], layer_states)
