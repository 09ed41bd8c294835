"""Surgery: a RecurFormer model from a dense model and a per-layer list of replaced KV groups.

Everything not replaced is copied unchanged (embeddings, norms, FFN, output, and the kept heads'
slices of W_q/W_k/W_v/b and columns of W_o). Each layer with replaced groups gets a Mamba-2 branch
whose weights are warm-started from the heads it replaces, by linear-attention duality
(attention softmax(q k^T) v  <->  SSM  y_t = sum_s C_t . B_s (decay) x_s):

  x  (value)  : SSM head h mirrors replaced query head h; its x rows are the W_v rows of that head's
                KV group (the value it read in GQA), so heads of one group start with the same x.
  B  (key)    : group g's B rows are the W_k rows of replaced KV group g.
  C  (query)  : group g's C rows are the MEAN of the W_q rows of that group's query heads. Mamba-2
                shares one C per group (h // (H/G)), as GQA shares one K; the mean is the single
                query closest (least squares) to all of them. With MHA (one head per group) it is
                that head's W_q.
  d_state vs head dim hd: B and C take the same rows of K and Q, so C.B starts as q.k on those rows.
                N == hd: all rows.  N < hd: the N rows of the lowest RoPE frequencies (pairs with the
                largest i: nearly position-independent, so q.k without rotation is closest to what
                attention computed), in source order.  N > hd: all hd rows, then N - hd extra rows with
                B ~ N(0, 1/E) and C = 0 (output unchanged at start; C's gradient is not zero, so they learn).
  biases      : in_proj has none. Qwen2's b_v, b_k, b_q (same rows/mean as above) go into the conv
                bias of the x, B, C channels, which is exact because the conv starts as the identity.
  out_proj    : the replaced query heads' columns of W_o, in SSM-head order.
  conv        : identity: weight[:, K-1] = 1 (current token), other taps 0.
  z (gate)    : default nn.Linear init U(-1/sqrt(E), 1/sqrt(E)), seeded.
  dt          : in_proj dt rows 0 and dt_bias = softplus^-1(1/window): every head starts with
                dt = 1/w and A = -1 (A_log = 0), a per-token decay exp(-1/w), i.e. a memory of about
                w tokens, the recency window that selected these heads (DESIGN item 1).
  D = 1, gated-norm weight = 1 (Mamba-2 defaults).

Then continual training (DESIGN item 4) fits the branch to the dense teacher.
"""
from __future__ import annotations

import math
from typing import List, Optional, Sequence

import torch

from .dense import DenseModel
from .recurformer import RecurFormerConfig, RecurFormerModel


def rows_of_heads(heads: Sequence[int], head_dim: int) -> List[int]:
    """row indices of the given heads in a [heads*hd, ...] projection"""
    return [h * head_dim + i for h in heads for i in range(head_dim)]


def rotary_rows_low_frequency_first(head_dim: int, rope_type: str) -> List[int]:
    """one head's rows ordered from the lowest RoPE frequency (largest pair index) to the highest"""
    rows = []
    for i in reversed(range(head_dim // 2)):
        rows += [2 * i, 2 * i + 1] if rope_type == "norm" else [i, i + head_dim // 2]
    return rows


def state_rows(head_dim: int, d_state: int, rope_type: str) -> List[int]:
    """rows of a K/Q head that feed the first min(N, hd) rows of B/C (see the module doc)"""
    if d_state >= head_dim:
        return list(range(head_dim))
    return sorted(rotary_rows_low_frequency_first(head_dim, rope_type)[:d_state])


def inverse_softplus(y: float) -> float:
    return y + math.log(-math.expm1(-y))


def recurformer_from_dense(dense: DenseModel, replaced_groups: List[List[int]], *, d_state: int = 64,
                           d_conv: int = 4, window: int = 64, chunk_size: int = 64,
                           recency_scores: Optional[List[List[float]]] = None,
                           sink_scores: Optional[List[List[float]]] = None,
                           seed: int = 0, name: Optional[str] = None) -> RecurFormerModel:
    src = dense.config
    cfg = RecurFormerConfig(source=src, replaced_groups=replaced_groups, d_state=d_state, d_conv=d_conv,
                            chunk_size=chunk_size, name=name or f"{src.name}-recurformer",
                            recency_scores=recency_scores, sink_scores=sink_scores, window=window)
    ref = next(dense.parameters())
    model = RecurFormerModel(cfg).to(dtype=ref.dtype, device=ref.device)
    gen = torch.Generator().manual_seed(seed)
    hd, r, E = src.head_dim, src.group_size, src.n_embd

    with torch.no_grad():
        model.tok_embd.weight.copy_(dense.tok_embd.weight)
        model.output_norm.weight.copy_(dense.output_norm.weight)
        if model.output is not None:
            model.output.weight.copy_(dense.output.weight)

        for il, (new, old) in enumerate(zip(model.layers, dense.layers)):
            new.attn_norm.weight.copy_(old.attn_norm.weight)
            new.ffn_norm.weight.copy_(old.ffn_norm.weight)
            new.ffn.load_state_dict(old.ffn.state_dict())

            # attention: the kept heads, in source order
            q_rows = rows_of_heads(cfg.kept_query_heads(il), hd)
            kv_rows = rows_of_heads(cfg.kept_groups(il), hd)
            a, b = new.attn, old.attn
            a.wq.weight.copy_(b.wq.weight[q_rows])
            a.wk.weight.copy_(b.wk.weight[kv_rows])
            a.wv.weight.copy_(b.wv.weight[kv_rows])
            a.wo.weight.copy_(b.wo.weight[:, q_rows])
            if src.qkv_bias:
                a.wq.bias.copy_(b.wq.bias[q_rows])
                a.wk.bias.copy_(b.wk.bias[kv_rows])
                a.wv.bias.copy_(b.wv.bias[kv_rows])

            if new.mamba is not None:
                warm_start_mamba(new.mamba, b, cfg.replaced_groups[il], r, src.rope_type, src.qkv_bias, window, gen)
    return model


def warm_start_mamba(m, attn, groups: List[int], group_size: int, rope_type: str, has_bias: bool,
                     window: int, gen: torch.Generator) -> None:
    """Fills Mamba2 `m` from the dense attention `attn` and its replaced KV `groups` (module doc)."""
    mc = m.config
    hd, N, E, H, G, di = mc.head_dim, mc.d_state, mc.d_model, mc.n_heads, mc.n_groups, mc.d_inner
    q_heads = RecurFormerConfig.query_heads_of(groups, group_size)     # SSM head h <-> q_heads[h]
    rows = state_rows(hd, N, rope_type)
    n_copy = len(rows)
    dtype, device = m.in_proj.weight.dtype, m.in_proj.weight.device

    def rand(*shape, bound):   # drawn on the CPU generator: the same numbers on any device
        return ((torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) * bound).to(dtype=dtype, device=device)

    W = torch.zeros(mc.in_dim, E, dtype=dtype, device=device)
    conv_bias = torch.zeros(mc.conv_dim, dtype=dtype, device=device)
    x0, B0, C0 = di, 2 * di, 2 * di + G * N                                    # row offsets in in_proj (dt last)

    W[0:di] = rand(di, E, bound=1 / math.sqrt(E))                               # z
    for h in range(H):                                                          # x <- W_v of head h's group
        g = groups[h // group_size]
        W[x0 + h * hd: x0 + (h + 1) * hd] = attn.wv.weight[g * hd:(g + 1) * hd]
        if has_bias:
            conv_bias[h * hd:(h + 1) * hd] = attn.wv.bias[g * hd:(g + 1) * hd]
    for gi, g in enumerate(groups):
        k_rows = [g * hd + i for i in rows]
        heads = q_heads[gi * group_size:(gi + 1) * group_size]
        Bs, Cs = B0 + gi * N, C0 + gi * N                   # this group's first B and C rows
        W[Bs:Bs + n_copy] = attn.wk.weight[k_rows]                              # B <- W_k
        W[Bs + n_copy:Bs + N] = rand(N - n_copy, E, bound=1 / math.sqrt(E))      # extra state rows (N > hd)
        W[Cs:Cs + n_copy] = torch.stack([attn.wq.weight[[q * hd + i for i in rows]] for q in heads]).mean(0)
        if has_bias:
            conv_bias[di + gi * N: di + gi * N + n_copy] = attn.wk.bias[k_rows]
            conv_bias[di + G * N + gi * N: di + G * N + gi * N + n_copy] = torch.stack(
                [attn.wq.bias[[q * hd + i for i in rows]] for q in heads]).mean(0)
    # dt rows stay 0: dt = softplus(dt_bias) = 1/window for every token at the start

    m.in_proj.weight.copy_(W)
    m.conv_weight.zero_()
    m.conv_weight[:, -1] = 1.0
    m.conv_bias.copy_(conv_bias)
    m.dt_bias.fill_(inverse_softplus(1.0 / window))
    m.A_log.zero_()
    m.D.fill_(1.0)
    m.norm_weight.fill_(1.0)
    m.out_proj.weight.copy_(attn.wo.weight[:, rows_of_heads(q_heads, hd)])
