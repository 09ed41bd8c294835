"""Surgery: a BASED model (based.py) from a dense model, to be distilled from it as a RecurFormer is
(stages/convert.py --arch based), so that BASED and RecurFormer differ in architecture only, not in
teacher, data or training budget.

Copied unchanged: token embedding, output norm and head (tied or not), every layer's FFN and norms.
The layer pattern is based.default_pattern (linear, swa, linear, swa, ...: the paper's 1:1 ratio).

Sliding-window ("swa") layers take the dense layer's attention exactly: W_q, W_k, W_v, W_o. Two
rewrites, both exact:
  RoPE layout  based.py (and the engine's `based`) rotate pairs (2i, 2i+1) ("norm"); a dense model in
               the "neox" layout (every GGUF or Hugging Face checkpoint as loaded here) has its Q/K rows
               permuted (gguf_export.permute_rope_rows), which changes no score.
  GQA          BASED has one K/V head per query head (based_gguf writes head_count_kv = head_count and
               the engine's based.cpp sizes attn_k/attn_v as n_head x hd), so each KV group's W_k/W_v
               rows are repeated for its n_head/n_kv_head query heads: what GQA computes, with a window
               cache n_head/n_kv_head times larger than the group count would need. Chosen over adding
               n_kv_head to based.py/based_gguf.py/based.cpp because that needs an engine rebuild; the
               default pair is MHA (8 heads, 8 KV heads), where nothing is repeated.
So with every layer "swa" and fewer than w tokens, the BASED model computes the dense model's logits.

Linear-attention ("linear") layers, per query head h of KV group g = h // (n_head / n_kv_head):
  W_v, W_o     the dense W_v rows of group g (repeated as above) and the dense W_o: values and output
               projection start where the softmax attention had them.
  W_q, W_k     d' rows of the dense head's W_q (head h) and W_k (group g): the d'/2 RoPE pairs of LOWEST
               frequency (surgery.state_rows, as RecurFormer's B/C warm start). Linear attention has no
               RoPE; those pairs rotate by at most pos x base^(-(hd-d')/hd) (default pair: base 2e5,
               hd 64, d' 16: 1e-4 rad per token), so q.k on them is the position-free part of the
               dense score, while the first d' dims (the highest frequencies) would be noise without
               their rotation. A data-driven choice (PCA of q, k) needs activations; this needs none.
               Measured on the shipped dense.gguf before any training (held-out text, 2 x 1024 tokens,
               w 64, d' 16): perplexity 342 with these rows, 2705 with the highest-frequency ones (dense 84;
               all eight layers as w-64 windows, no linear layer: 131; w 256 with these rows: 226).
               Scaled by s = (d'/hd)^(1/4) each, so the Taylor kernel's t = q'.k'/sqrt(d') equals
               (q.k on those rows)/sqrt(hd): the dense softmax's temperature. Then
               phi(q').phi(k') = 1 + t + t^2/2 ~ exp(t) (based.py), the dense score on those rows.
  short conv   zero output projection (W_out = 0, b_out = 0): the conv adds nothing at the start, so the
               layer starts as x + W_o linattn(norm(x)) with the dense layer's own input norm. Its gate
               and input (W_in ~ U(+-1/sqrt(E)), seeded; b_in = 0) and identity taps (tap K-1 = 1) give
               W_out a nonzero gradient from the first step.
  norms        attn_norm (before the conv) and attn_norm_2 (before linear attention) <- dense attn_norm.
Stage 1 of the conversion trains new_parameter_names(): every parameter of the linear layers' conv and
linear attention (their copied W_v/W_o now serve another kernel, as RecurFormer's Mamba branch retrains
its W_v/W_o-initialized x and out projections); stage 2 trains everything.
"""
from __future__ import annotations

import math
from typing import List, Optional, Set

import numpy as np
import torch

from .based import BasedConfig, BasedModel
from .dense import DenseModel
from .gguf_export import permute_rope_rows
from .surgery import state_rows


def based_from_dense(dense: DenseModel, *, window: int, feature_dim: int, conv_kernel: int = 3,
                     layer_kinds: Optional[List[str]] = None, seed: int = 0,
                     name: Optional[str] = None) -> BasedModel:
    src = dense.config
    if src.qkv_bias:
        raise ValueError("based_from_dense: BASED has no Q/K/V biases; this dense model has them (Qwen2-style)")
    if feature_dim > src.head_dim:
        raise ValueError(f"feature_dim {feature_dim} must be at most the head dim {src.head_dim}")
    cfg = BasedConfig(vocab_size=src.vocab_size, n_layer=src.n_layer, n_embd=src.n_embd, n_head=src.n_head,
                      head_dim=src.head_dim, feature_dim=feature_dim, window=window, conv_kernel=conv_kernel,
                      ffn_hidden=src.ffn_hidden, layer_kinds=list(layer_kinds or []), rms_eps=src.rms_eps,
                      rope_base=src.rope_base, tie_embeddings=src.tie_embeddings,
                      context_length=src.context_length, name=name or f"{src.name}-based-w{window}-d{feature_dim}")
    ref = next(dense.parameters())
    model = BasedModel(cfg).to(dtype=ref.dtype, device=ref.device)
    gen = torch.Generator().manual_seed(seed)
    H, hd, E, r = src.n_head, src.head_dim, src.n_embd, src.group_size
    rows = state_rows(hd, feature_dim, src.rope_type)
    scale = (feature_dim / hd) ** 0.25

    def per_head(w: torch.Tensor, n: int) -> torch.Tensor:
        return w.view(n, hd, w.shape[-1])

    def repeat_kv(w: torch.Tensor) -> torch.Tensor:                  # (n_kv*hd, E) -> (H*hd, E)
        return per_head(w, src.n_kv_head).repeat_interleave(r, dim=0).reshape(H * hd, -1)

    def to_norm(w: torch.Tensor) -> torch.Tensor:                    # Q/K rows into the "norm" RoPE layout
        out = permute_rope_rows(w.detach().cpu().numpy(), H, src.rope_type, "norm")
        return torch.from_numpy(np.ascontiguousarray(out)).to(w)

    with torch.no_grad():
        model.tok_embd.weight.copy_(dense.tok_embd.weight)
        model.output_norm.weight.copy_(dense.output_norm.weight)
        if model.output is not None:
            model.output.weight.copy_(dense.output.weight)
        for new, old in zip(model.layers, dense.layers):
            new.attn_norm.weight.copy_(old.attn_norm.weight)
            new.ffn_norm.weight.copy_(old.ffn_norm.weight)
            new.ffn.load_state_dict(old.ffn.state_dict())
            a, b = new.attn, old.attn
            a.wv.weight.copy_(repeat_kv(b.wv.weight))
            a.wo.weight.copy_(b.wo.weight)
            if new.kind == "swa":
                a.wq.weight.copy_(to_norm(b.wq.weight))
                a.wk.weight.copy_(to_norm(repeat_kv(b.wk.weight)))
                continue
            a.wq.weight.copy_(per_head(b.wq.weight, H)[:, rows].reshape(-1, E) * scale)
            a.wk.weight.copy_(per_head(repeat_kv(b.wk.weight), H)[:, rows].reshape(-1, E) * scale)
            new.attn_norm_2.weight.copy_(old.attn_norm.weight)
            c = new.conv
            bound = 1 / math.sqrt(E)
            c.in_proj.weight.copy_((torch.rand(c.in_proj.weight.shape, generator=gen, dtype=torch.float64) * 2 - 1)
                                   * bound)
            c.in_proj.bias.zero_()
            c.conv_weight.zero_()
            c.conv_weight[:, -1] = 1.0
            c.out_proj.weight.zero_()
            c.out_proj.bias.zero_()
    return model


def new_parameter_names(model: BasedModel) -> Set[str]:
    """Names (model.named_parameters()) that stage 1 trains: the linear layers' conv, linear attention and
    attn_norm_2 (module doc)."""
    names = set()
    for il, layer in enumerate(model.layers):
        if layer.kind == "linear":
            for part in ("conv", "attn", "attn_norm_2"):
                names |= {f"layers.{il}.{part}.{n}" for n, _ in getattr(layer, part).named_parameters()}
    return names
