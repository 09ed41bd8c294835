"""The RecurFormer model (its layer as the patched llama.cpp runs it: engine/llama/README.md, "Layer").

A dense source model in which, per layer, some whole KV groups (the "recency-aware" heads) were
replaced by one Mamba-2 branch. Per layer:

    h = rmsnorm(x) * attn_norm
    a = attention(h) over the KEPT heads only (kept KV groups and their query heads, source order)
    m = mamba2(h)                         only in layers where something was replaced
    x = x + a + m
    x = x + ffn(rmsnorm(x) * ffn_norm)

The branch mirrors the replaced heads: SSM head dim = attention head dim, one SSM head per replaced
query head (H = replaced groups x group size), one B/C group per replaced KV group (G), d_state N.
So the KV cache holds only the kept heads; each branch layer holds one fixed-size (conv + SSM) state.
With nothing replaced anywhere this is exactly the dense model (tests/test_recurformer.py).

The GGUF format of this model: engine/llama/README.md; writer: gguf_export.py; made from a dense
model by surgery.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .dense import Attention, DecodeState, DenseConfig, FeedForward, KVCache, RMSNorm
from .mamba2 import Mamba2, Mamba2Config, Mamba2State


@dataclass
class RecurFormerConfig:
    source: DenseConfig                     # shape of the dense model this was made from
    replaced_groups: List[List[int]]        # per layer: replaced KV-group indices of the source, ascending
    d_state: int = 64                       # N
    d_conv: int = 4                         # K
    chunk_size: int = 64                    # SSD chunk (training speed only; no effect on results)
    name: str = "recurformer"
    # provenance (GGUF recurformer.provenance.*): how the replaced groups were chosen
    recency_scores: Optional[List[List[float]]] = None   # [L][source n_kv_head]
    sink_scores: Optional[List[List[float]]] = None      # [L][source n_kv_head]
    window: int = 64                                      # recency window w

    def __post_init__(self):
        src = self.source
        if len(self.replaced_groups) != src.n_layer:
            raise ValueError(f"replaced_groups has {len(self.replaced_groups)} layers, the source has {src.n_layer}")
        self.replaced_groups = [sorted(int(g) for g in groups) for groups in self.replaced_groups]
        counts = set()
        for il, groups in enumerate(self.replaced_groups):
            if len(set(groups)) != len(groups) or any(not 0 <= g < src.n_kv_head for g in groups):
                raise ValueError(f"layer {il}: replaced groups {groups} are not distinct indices < {src.n_kv_head}")
            if len(groups) >= src.n_kv_head:
                raise ValueError(f"layer {il}: at least one KV group must be kept")
            if groups:
                counts.add(len(groups))
        # the GGUF format has one ssm.* shape for the whole model
        if len(counts) > 1:
            raise ValueError(f"layers with a Mamba branch must replace the same number of groups, got {sorted(counts)}")

    @property
    def n_layer(self) -> int:
        return self.source.n_layer

    def kept_groups(self, il: int) -> List[int]:
        return [g for g in range(self.source.n_kv_head) if g not in self.replaced_groups[il]]

    @staticmethod
    def query_heads_of(groups: List[int], group_size: int) -> List[int]:
        """query heads of the given KV groups, in source order (group g owns heads g*r .. g*r+r-1)"""
        return [g * group_size + j for g in groups for j in range(group_size)]

    def kept_query_heads(self, il: int) -> List[int]:
        return self.query_heads_of(self.kept_groups(il), self.source.group_size)

    def replaced_query_heads(self, il: int) -> List[int]:
        return self.query_heads_of(self.replaced_groups[il], self.source.group_size)

    def mamba_config(self, il: int) -> Optional[Mamba2Config]:
        groups = self.replaced_groups[il]
        if not groups:
            return None
        return Mamba2Config(d_model=self.source.n_embd, n_heads=len(groups) * self.source.group_size,
                            head_dim=self.source.head_dim, n_groups=len(groups), d_state=self.d_state,
                            d_conv=self.d_conv, rms_eps=self.source.rms_eps, chunk_size=self.chunk_size)


@dataclass
class HybridState:
    """One layer's decoding state: the kept heads' KV cache and, where the layer has a branch, its
    Mamba-2 state."""
    kv: KVCache
    ssm: Optional[Mamba2State] = None

    def clone(self) -> "HybridState":
        return HybridState(self.kv.clone(), None if self.ssm is None else self.ssm.clone())


class RecurFormerBlock(nn.Module):
    def __init__(self, cfg: RecurFormerConfig, il: int):
        super().__init__()
        src = cfg.source
        self.attn_norm = RMSNorm(src.n_embd, src.rms_eps)
        self.attn = Attention(src.n_embd, len(cfg.kept_query_heads(il)), len(cfg.kept_groups(il)), src.head_dim,
                              src.qkv_bias, src.rope_type, src.rope_base)
        mcfg = cfg.mamba_config(il)
        self.mamba = None if mcfg is None else Mamba2(mcfg)
        self.ffn_norm = RMSNorm(src.n_embd, src.rms_eps)
        self.ffn = FeedForward(src.n_embd, src.ffn_hidden)

    def forward(self, x, positions, state: Optional[HybridState], scan: str = "auto"):
        h = self.attn_norm(x)                               # one normed input for both branches
        a, kv = self.attn(h, positions, None if state is None else state.kv)
        ssm = None
        if self.mamba is not None:
            m, ssm = self.mamba(h, None if state is None else state.ssm, scan=scan)
            a = a + m
        x = x + a
        x = x + self.ffn(self.ffn_norm(x))
        return x, HybridState(kv, ssm)


class RecurFormerModel(nn.Module):
    def __init__(self, cfg: RecurFormerConfig):
        super().__init__()
        self.config = cfg
        src = cfg.source
        self.tok_embd = nn.Embedding(src.vocab_size, src.n_embd)
        self.layers = nn.ModuleList(RecurFormerBlock(cfg, il) for il in range(src.n_layer))
        self.output_norm = RMSNorm(src.n_embd, src.rms_eps)
        self.output = None if src.tie_embeddings else nn.Linear(src.n_embd, src.vocab_size, bias=False)

    def output_weight(self) -> torch.Tensor:
        return self.tok_embd.weight if self.output is None else self.output.weight

    def head(self, x):
        return F.linear(self.output_norm(x), self.output_weight())

    def mamba_parameters(self):
        """the new parameters (continual training stage 1 trains only these)"""
        return [p for layer in self.layers if layer.mamba is not None for p in layer.mamba.parameters()]

    def forward(self, tokens: torch.Tensor, state: Optional[DecodeState] = None, scan: str = "auto"):
        """Same contract as DenseModel.forward: logits (B, T, vocab) and the new DecodeState.
        scan: "chunked" | "recurrent" | "auto" (recurrent for single tokens), see mamba2.py."""
        past = 0 if state is None else state.pos
        positions = torch.arange(past, past + tokens.shape[1], device=tokens.device)
        x = self.tok_embd(tokens)
        layer_states = []
        for il, layer in enumerate(self.layers):
            x, st = layer(x, positions, None if state is None else state.layers[il], scan=scan)
            layer_states.append(st)
        return self.head(x), DecodeState(past + tokens.shape[1], layer_states)
