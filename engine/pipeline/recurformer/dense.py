"""The dense model: a Llama-style decoder (Qwen2-style when it has Q/K/V biases).

    x   = embed(tokens)
    for each layer:
        h = rmsnorm(x) * attn_norm
        x = x + W_o . attention(rope(W_q h + b_q), rope(W_k h + b_k), W_v h + b_v)
        x = x + W_down . (silu(W_gate g) * (W_up g))        with g = rmsnorm(x) * ffn_norm
    logits = W_out . (rmsnorm(x) * output_norm)             (W_out = embed when tied)

Attention is grouped-query (GQA): query head h reads KV head h // (n_head / n_kv_head), as in
llama.cpp and Hugging Face's `repeat_kv`. One forward serves training (whole sequences) and
incremental decoding (prefill, then one token at a time) through a `DecodeState` that holds the
KV cache: `logits, state = model(tokens, state)`.

RoPE comes in two layouts (`rope_type`), both rotating pair i by angle pos * base^(-2i/hd):
  "norm": pairs (2i, 2i+1)        -- llama.cpp's LLAMA_ROPE_TYPE_NORM, used by its `llama` arch
  "neox": pairs (i, i + hd/2)     -- Hugging Face `rotate_half`; llama.cpp's `qwen2` arch
The two are the same model up to a permutation of each head's Q and K rows
(`gguf_export.permute_rope_rows`). The angles are computed the way ggml computes them
(float32, theta_{i+1} = theta_i * base^(-2/hd)) so that references agree with llama.cpp to ~1e-7.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class DenseConfig:
    vocab_size: int = 320
    n_layer: int = 2
    n_embd: int = 64                 # E, model width
    n_head: int = 4                  # query heads
    n_kv_head: int = 4               # KV heads (groups); n_head % n_kv_head == 0
    head_dim: int = 0                # hd; 0 means n_embd // n_head
    ffn_hidden: int = 172            # SwiGLU width F
    rms_eps: float = 1e-5
    rope_base: float = 10000.0
    rope_type: str = "norm"          # "norm" (pairs 2i,2i+1) or "neox" (pairs i, i+hd/2)
    qkv_bias: bool = False           # Qwen2-style Q/K/V biases
    tie_embeddings: bool = False     # output projection = token embedding
    context_length: int = 2048
    name: str = "dense"

    def __post_init__(self):
        if self.head_dim == 0:
            self.head_dim = self.n_embd // self.n_head
        if self.n_head % self.n_kv_head != 0:
            raise ValueError(f"n_head {self.n_head} is not a multiple of n_kv_head {self.n_kv_head}")
        if self.rope_type not in ("norm", "neox"):
            raise ValueError(f"rope_type must be 'norm' or 'neox', not {self.rope_type!r}")
        if self.head_dim % 2 != 0:
            raise ValueError("head_dim must be even for RoPE")

    @property
    def group_size(self) -> int:
        """query heads per KV group"""
        return self.n_head // self.n_kv_head


# ----------------------------------------------------------------------------- building blocks

class RMSNorm(nn.Module):
    """y = x / sqrt(mean(x^2) + eps) * w"""

    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_cos_sin(positions: torch.Tensor, head_dim: int, base: float, dtype: torch.dtype):
    """cos, sin of shape (T, head_dim/2) for pair i at each position.

    Mirrors ggml_rope_cache_init: theta_scale = powf(base, -2/hd); theta_0 = pos;
    theta_{i+1} = theta_i * theta_scale, all in float32.
    """
    scale = np.float32(np.power(np.float32(base), np.float32(-2.0) / np.float32(head_dim), dtype=np.float32))
    theta = positions.to(torch.float32)
    angles = []
    for _ in range(head_dim // 2):
        angles.append(theta)
        theta = theta * torch.tensor(scale, dtype=torch.float32, device=theta.device)
    angles = torch.stack(angles, dim=-1)
    if dtype == torch.float64:
        angles = angles.double()  # exact widening; cos/sin then as accurate as possible
    return angles.cos().to(dtype), angles.sin().to(dtype)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, rope_type: str) -> torch.Tensor:
    """x: (B, heads, T, hd). Rotates each pair (a, b) by its angle: (a cos - b sin, a sin + b cos)."""
    if rope_type == "norm":
        a, b = x[..., 0::2], x[..., 1::2]
        return torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)
    half = x.shape[-1] // 2
    a, b = x[..., :half], x[..., half:]
    return torch.cat((a * cos - b * sin, a * sin + b * cos), dim=-1)


@dataclass
class KVCache:
    """Post-RoPE keys and values of every token seen so far: (B, n_kv_head, T, hd)."""
    k: torch.Tensor
    v: torch.Tensor

    def clone(self) -> "KVCache":
        return KVCache(self.k.clone(), self.v.clone())


class Attention(nn.Module):
    """Causal grouped-query attention with RoPE. Head counts are arguments (not read from the config)
    so that a RecurFormer layer can keep fewer heads than its source."""

    def __init__(self, n_embd: int, n_head: int, n_kv_head: int, head_dim: int, bias: bool,
                 rope_type: str, rope_base: float):
        super().__init__()
        assert n_head % n_kv_head == 0
        self.n_head, self.n_kv_head, self.head_dim = n_head, n_kv_head, head_dim
        self.rope_type, self.rope_base = rope_type, rope_base
        self.wq = nn.Linear(n_embd, n_head * head_dim, bias=bias)
        self.wk = nn.Linear(n_embd, n_kv_head * head_dim, bias=bias)
        self.wv = nn.Linear(n_embd, n_kv_head * head_dim, bias=bias)
        self.wo = nn.Linear(n_head * head_dim, n_embd, bias=False)

    def qkv(self, h: torch.Tensor, positions: torch.Tensor):
        """q: (B, n_head, T, hd), k and v: (B, n_kv_head, T, hd); q and k rotated."""
        B, T, _ = h.shape
        q = self.wq(h).view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        k = self.wk(h).view(B, T, self.n_kv_head, self.head_dim).transpose(1, 2)
        v = self.wv(h).view(B, T, self.n_kv_head, self.head_dim).transpose(1, 2)
        cos, sin = rope_cos_sin(positions, self.head_dim, self.rope_base, h.dtype)
        return apply_rope(q, cos, sin, self.rope_type), apply_rope(k, cos, sin, self.rope_type), v

    @staticmethod
    def causal_mask(T: int, S: int, device) -> torch.Tensor:
        """(T, S) bool, True where query i (absolute position S-T+i) may see key j (j <= S-T+i)."""
        return torch.ones(T, S, dtype=torch.bool, device=device).tril(diagonal=S - T)

    def probs(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """softmax(q k^T / sqrt(hd)) under the causal mask: (B, n_head, T, S). Used by the forward on
        torch 1.x and by head analysis (recency.py)."""
        k = k.repeat_interleave(self.n_head // self.n_kv_head, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        visible = self.causal_mask(q.shape[2], k.shape[2], q.device)
        return scores.masked_fill(~visible, float("-inf")).softmax(dim=-1)

    def forward(self, h: torch.Tensor, positions: torch.Tensor, cache: Optional[KVCache] = None):
        q, k, v = self.qkv(h, positions)
        if cache is not None:
            k = torch.cat((cache.k, k), dim=2)
            v = torch.cat((cache.v, v), dim=2)
        r = self.n_head // self.n_kv_head
        if hasattr(F, "scaled_dot_product_attention"):   # torch 2.x: same math, fused
            kr, vr = k.repeat_interleave(r, dim=1), v.repeat_interleave(r, dim=1)
            if cache is None:                              # square causal: the flash kernel applies
                y = F.scaled_dot_product_attention(q, kr, vr, is_causal=True)
            else:
                mask = self.causal_mask(q.shape[2], k.shape[2], q.device)
                y = F.scaled_dot_product_attention(q, kr, vr, attn_mask=mask)
        else:
            y = self.probs(q, k) @ v.repeat_interleave(r, dim=1)      # (B, n_head, T, hd)
        B, _, T, _ = y.shape
        y = y.transpose(1, 2).reshape(B, T, self.n_head * self.head_dim)
        return self.wo(y), KVCache(k, v)


class FeedForward(nn.Module):
    """SwiGLU: W_down (silu(W_gate x) * W_up x)"""

    def __init__(self, n_embd: int, hidden: int):
        super().__init__()
        self.w_gate = nn.Linear(n_embd, hidden, bias=False)
        self.w_up = nn.Linear(n_embd, hidden, bias=False)
        self.w_down = nn.Linear(hidden, n_embd, bias=False)

    def forward(self, x):
        return self.w_down(F.silu(self.w_gate(x)) * self.w_up(x))


@dataclass
class DecodeState:
    """What a model carries between calls: the number of tokens seen (the next position) and one
    entry per layer (a KVCache for dense layers; see recurformer.HybridState)."""
    pos: int
    layers: list = field(default_factory=list)

    def clone(self) -> "DecodeState":
        return DecodeState(self.pos, [layer.clone() for layer in self.layers])


# ----------------------------------------------------------------------------- the model

class DenseBlock(nn.Module):
    def __init__(self, cfg: DenseConfig):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.n_embd, cfg.rms_eps)
        self.attn = Attention(cfg.n_embd, cfg.n_head, cfg.n_kv_head, cfg.head_dim, cfg.qkv_bias,
                              cfg.rope_type, cfg.rope_base)
        self.ffn_norm = RMSNorm(cfg.n_embd, cfg.rms_eps)
        self.ffn = FeedForward(cfg.n_embd, cfg.ffn_hidden)

    def forward(self, x, positions, cache: Optional[KVCache]):
        a, cache = self.attn(self.attn_norm(x), positions, cache)
        x = x + a
        x = x + self.ffn(self.ffn_norm(x))
        return x, cache


class DenseModel(nn.Module):
    def __init__(self, cfg: DenseConfig):
        super().__init__()
        self.config = cfg
        self.tok_embd = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.layers = nn.ModuleList(DenseBlock(cfg) for _ in range(cfg.n_layer))
        self.output_norm = RMSNorm(cfg.n_embd, cfg.rms_eps)
        self.output = None if cfg.tie_embeddings else nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)

    def output_weight(self) -> torch.Tensor:
        return self.tok_embd.weight if self.output is None else self.output.weight

    def head(self, x):
        return F.linear(self.output_norm(x), self.output_weight())

    def forward(self, tokens: torch.Tensor, state: Optional[DecodeState] = None):
        """tokens: (B, T) ids. Returns logits (B, T, vocab) for every position and the new state
        (which includes the given one: `state` itself is not modified)."""
        past = 0 if state is None else state.pos
        positions = torch.arange(past, past + tokens.shape[1], device=tokens.device)
        x = self.tok_embd(tokens)
        caches = []
        for il, layer in enumerate(self.layers):
            x, cache = layer(x, positions, None if state is None else state.layers[il])
            caches.append(cache)
        return self.head(x), DecodeState(past + tokens.shape[1], caches)


def init_weights(model: nn.Module, seed: int, embed_std: float = 1.0, norm_jitter: float = 0.0,
                 bias_std: float = 0.0) -> None:
    """Seeded init for pre-training or test fixtures: matrices ~ N(0, 1/fan_in) (so each residual
    branch adds O(1) signal), embeddings ~ N(0, embed_std^2), norm weights 1 + jitter, biases ~
    N(0, bias_std^2). Fixtures use jitter and biases so that a loader that skips them is caught."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("tok_embd.weight"):
                p.copy_(torch.randn(p.shape, generator=gen) * embed_std)
            elif p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[1]))
            elif "norm" in name:
                p.copy_(1.0 + norm_jitter * torch.randn(p.shape, generator=gen))
            elif name.endswith(".bias"):
                p.copy_(bias_std * torch.randn(p.shape, generator=gen))
