"""PyramidInfer (Yang et al. 2024, arXiv 2405.12532) as a KV-cache retention mode of the dense model and of a
RecurFormer: deeper layers keep fewer tokens, chosen by the attention recent queries pay them (issue 15).

The rule
--------
n = tokens seen. Right after the prefill, and again whenever `every` (R) more tokens have been fed, each layer l
thins its KV cache to

    keep(l, n) = min(cached_l, max(recent, round(n * r0 * decay**l)))        round = half up

tokens: the `recent` newest tokens always, and of the older cached tokens those with the highest pivotal score

    score_g(j) = 1/q * sum over the last q tokens i of  sum over the query heads h of KV group g of  p_h(i, j)

p_h(i, j) being head h's softmax attention from query i over layer l's current cache (causal by position).
`per_group=False` (default): one token set per layer, ranked by sum_g score_g, every KV group keeps the same
tokens. `per_group=True`: each KV group keeps its own top tokens (the same count in every group).

Schedule parameters (`Schedule`): r0 = the first layer's retention (share of n), decay = the factor per layer
deeper, recent = the window of newest tokens never dropped, queries = q, the newest tokens whose attention
scores the rest (queries <= recent in practice), every = R (0: after the prefill only).

RoPE: keys are cached after RoPE at their original positions and a new token's position is n (tokens seen),
not the cache length. So dropped tokens leave gaps in each layer's positions; nothing is rotated again.
RecurFormer: only the kept attention heads' KV is thinned; the Mamba-2 state has seen every token and is
left as it is.

Following and departing from the reference code (mutonix/pyramidinfer, models/modeling_llama_pyramidinfer.py;
read, not copied):
- Followed: the score is the attention weight of the newest queries on older tokens, averaged over those
  queries; top-k per layer with a budget that falls with depth; recent tokens are never scored away; kept
  tokens keep their original positions (it gathers the cos/sin of the kept position ids).
- Departed, prefill: the reference drops tokens from the hidden states inside the prefill forward, so layer
  l+1 runs only on the tokens layer l kept (nested sets; deeper layers never compute the dropped tokens' KV,
  and the prompt's last logits already see the thinned context). Here the prefill is the plain forward and
  each layer then chooses on its own from its own attention: llama.cpp prefills in ubatches and cannot drop a
  ubatch's rows mid-graph on a score that needs the prompt's last queries. The prefill's logits are therefore
  the plain model's; thinning shows from the first token fed after it.
- Departed, budget: the reference compounds a per-layer ratio (layer l keeps ratio_l x what layer l-1 kept,
  ratio_l on a cosine from 1 at layer 0 to `prefill_decay_ratio`; its `linear` choice is overwritten by the
  cosine if/else that follows it), with a recent window of 20% of the prompt that doubles as the scoring
  queries, at least 64 context tokens, the first 4 (sink) tokens always kept and query rows weighted 1..1.2
  toward the newest. Here: the geometric count keep(l, n) of all n tokens, a fixed window, q scoring queries
  of their own, plain averages and no sink rule (sinks draw heavy attention and win on score).
- Departed, generation: every 16 new tokens the reference thins only the block of new tokens just behind its
  recent window (gen_compress_ratio x a decayed ratio of it); here each re-selection ranks the whole cache
  again against keep(l, n), so the counts stay on the schedule.
- Heads: the reference averages over all heads of a layer, one set per layer: `per_group=False` ranks the same
  (a sum instead of a mean). llama.cpp's KV cells hold every KV head of a layer, so only that mode can free
  cells there (engine/llama/PYRAMID.md); `per_group=True` is the per-KV-head variant, for comparison.

`forward` runs the model with the thinned caches (the model's own forward, unchanged); `masked_forward` with
`visibility` computes the same logits in one pass over all tokens with the dropped tokens masked out of each
layer's attention, the form an engine's parity test can compare with (tests/test_pyramid.py).
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import torch

from .dense import DecodeState, KVCache
from .recurformer import HybridState


@dataclass(frozen=True)
class Schedule:
    r0: float = 1.0          # first layer's retention, a share of the tokens seen
    decay: float = 0.8       # each layer deeper keeps this factor of the one above
    recent: int = 64         # newest tokens, never dropped
    queries: int = 16        # newest tokens whose attention scores the others
    every: int = 0           # re-select after this many more tokens (0: after the prefill only)
    per_group: bool = False  # each KV group its own tokens (True) or one set per layer (False)

    def __post_init__(self):
        if not (0 < self.r0 <= 1 and 0 < self.decay <= 1):
            raise ValueError(f"r0 and decay must be in (0, 1], got {self.r0}, {self.decay}")
        if self.recent < 1 or self.queries < 1 or self.every < 0:
            raise ValueError("recent and queries must be >= 1, every >= 0")

    def keep(self, n: int, layer: int) -> int:
        """tokens layer `layer` keeps out of n (before the min with what it still caches)"""
        return min(n, max(self.recent, math.floor(n * self.r0 * self.decay ** layer + 0.5)))


@dataclass
class PyramidState:
    model: DecodeState                  # the model's own state, holding the thinned KV caches
    positions: List[torch.Tensor]       # per layer (B, G, S_l): original position of each cached token, ascending
    queries: List[torch.Tensor]         # per layer (B, n_head, <=q, hd): post-RoPE queries of the newest q tokens
    since: int = 0                      # tokens fed since the last selection
    kept: List[Tuple[int, List[torch.Tensor]]] = field(default_factory=list)  # per selection: n, positions kept


def _kv(layer_state) -> KVCache:
    return layer_state.kv if isinstance(layer_state, HybridState) else layer_state


def _with_kv(layer_state, kv: KVCache):
    return HybridState(kv, layer_state.ssm) if isinstance(layer_state, HybridState) else kv


def pivotal_scores(q: torch.Tensor, q_pos: torch.Tensor, k: torch.Tensor, k_pos: torch.Tensor) -> torch.Tensor:
    """q (B, H, Q, hd) post-RoPE queries at positions q_pos (Q,); k (B, G, S, hd) cached keys at k_pos (B, G, S).
    Returns (B, G, S): attention summed over each group's H/G heads, averaged over the Q queries."""
    B, H, Q, hd = q.shape
    G, S = k.shape[1], k.shape[2]
    r = H // G
    logits = q @ k.repeat_interleave(r, dim=1).transpose(-1, -2) / math.sqrt(hd)        # (B, H, Q, S)
    visible = k_pos.repeat_interleave(r, dim=1).unsqueeze(2) <= q_pos.view(1, 1, Q, 1)
    p = logits.masked_fill(~visible, float("-inf")).softmax(dim=-1)
    return p.view(B, G, r, Q, S).sum(dim=2).mean(dim=2)


def select(scores: torch.Tensor, keep: int, recent: int, per_group: bool) -> torch.Tensor:
    """Indices (B, G, keep), ascending, into a cache whose last `recent` entries are the newest tokens: those,
    then the highest scores (ties to the older token)."""
    S = scores.shape[-1]
    keep = min(keep, S)
    rank = scores if per_group else scores.sum(dim=1, keepdim=True).expand_as(scores)
    rank = rank.clone()
    rank[..., max(0, S - recent):] = float("inf")
    order = torch.sort(rank, dim=-1, descending=True, stable=True).indices
    return order[..., :keep].sort(dim=-1).values


def retention(model, state: PyramidState, schedule: Schedule) -> List[torch.Tensor]:
    """The decision: per layer, indices (B, G, keep(l, n)) into its current cache of the tokens it keeps."""
    n = state.model.pos
    chosen = []
    for il in range(len(model.layers)):
        q = state.queries[il]
        q_pos = torch.arange(n - q.shape[2], n, device=q.device)
        scores = pivotal_scores(q, q_pos, _kv(state.model.layers[il]).k, state.positions[il])
        chosen.append(select(scores, schedule.keep(n, il), schedule.recent, schedule.per_group))
    return chosen


def thin(state: PyramidState, chosen: List[torch.Tensor]) -> PyramidState:
    """Keeps only the chosen cache entries of each layer (the Mamba-2 state, where there is one, as it is)."""
    layers, positions = [], []
    for layer_state, pos, idx in zip(state.model.layers, state.positions, chosen):
        kv = _kv(layer_state)
        rows = idx.unsqueeze(-1).expand(-1, -1, -1, kv.k.shape[-1])
        layers.append(_with_kv(layer_state, KVCache(kv.k.gather(2, rows), kv.v.gather(2, rows))))
        positions.append(pos.gather(2, idx))
    return PyramidState(DecodeState(state.model.pos, layers), positions, state.queries, 0,
                        state.kept + [(state.model.pos, positions)])


@contextmanager
def _recording_queries(model, count: int, out: list):
    """While active, each layer's attention leaves its newest `count` post-RoPE queries in out[layer]."""
    def hook(il):
        def record(attn, inputs, _output):
            h, positions = inputs[0], inputs[1]
            out[il] = attn.qkv(h[:, -count:], positions[-count:])[0]
        return record
    handles = [layer.attn.register_forward_hook(hook(il)) for il, layer in enumerate(model.layers)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def forward(model, tokens: torch.Tensor, schedule: Schedule, state: Optional[PyramidState] = None):
    """logits (B, T, vocab) and the new PyramidState. Without a state `tokens` is the prefill and every layer
    is thinned after it; with one, the layers are thinned again once `schedule.every` tokens have been fed
    since the last selection (checked after each call: feed one token at a time to thin every R exactly)."""
    fresh = [None] * len(model.layers)
    with _recording_queries(model, schedule.queries, fresh):
        logits, decoded = model(tokens, None if state is None else state.model)
    B, T = tokens.shape
    n = decoded.pos
    new_pos = torch.arange(n - T, n, device=tokens.device)
    positions, queries = [], []
    for il, layer_state in enumerate(decoded.layers):
        G = _kv(layer_state).k.shape[1]
        added = new_pos.expand(B, G, T)
        positions.append(added.clone() if state is None else torch.cat((state.positions[il], added), dim=2))
        queries.append(fresh[il] if state is None else
                       torch.cat((state.queries[il], fresh[il]), dim=2)[:, :, -schedule.queries:])
    st = PyramidState(decoded, positions, queries, T + (0 if state is None else state.since),
                      [] if state is None else state.kept)
    if state is None or (schedule.every and st.since >= schedule.every):
        st = thin(st, retention(model, st, schedule))
    return logits, st


def visibility(state: PyramidState, length: int) -> List[torch.Tensor]:
    """Per layer (B, G, length, length) bool: query i sees key j when j <= i and j was still in that layer's
    cache when token i was fed (a token dropped at the selection after n tokens is unseen from query n on)."""
    masks = []
    i = torch.arange(length).view(-1, 1)
    for il, pos in enumerate(state.positions):
        B, G = pos.shape[:2]
        evicted = torch.full((B, G, length), length)
        for n, kept in state.kept:
            was_kept = torch.zeros(B, G, length, dtype=torch.bool).scatter_(2, kept[il], True)
            dropped = ~was_kept & (torch.arange(length) < n) & (evicted == length)
            evicted[dropped] = n
        masks.append((i.T <= i) & (i < evicted.unsqueeze(2)))
    return masks


def masked_forward(model, tokens: torch.Tensor, visible: List[torch.Tensor]) -> torch.Tensor:
    """One pass over all tokens (positions 0..T-1) with each layer's attention limited by visible[layer]
    (B, G, T, T); dense and RecurFormer blocks (the Mamba-2 branch sees every token). Returns logits."""
    x = model.tok_embd(tokens)
    positions = torch.arange(tokens.shape[1], device=tokens.device)
    for layer, mask in zip(model.layers, visible):
        h = layer.attn_norm(x)
        q, k, v = layer.attn.qkv(h, positions)
        r = layer.attn.n_head // layer.attn.n_kv_head
        logits = q @ k.repeat_interleave(r, dim=1).transpose(-1, -2) / math.sqrt(q.shape[-1])
        p = logits.masked_fill(~mask.repeat_interleave(r, dim=1), float("-inf")).softmax(dim=-1)
        y = p @ v.repeat_interleave(r, dim=1)
        a = layer.attn.wo(y.transpose(1, 2).reshape(x.shape[0], x.shape[1], -1))
        if getattr(layer, "mamba", None) is not None:
            a = a + layer.mamba(h)[0]
        x = x + a
        x = x + layer.ffn(layer.ffn_norm(x))
    return model.head(x)
