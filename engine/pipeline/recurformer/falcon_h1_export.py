"""A RecurFormer model written as llama.cpp's own `falcon-h1` architecture, for benchmarking only.

Falcon-H1 is llama.cpp's stock "parallel hybrid" layer (attention + Mamba-2 on the same normed
input, summed), the nearest existing graph to ours. With the same tensors, head counts and SSM shape
it costs the same arithmetic, so `recurformer bench` can put our graph beside llama.cpp's own on an
equal shape. Falcon-H1 has one uniform head count and a Mamba-2 branch in every layer, so only
RecurFormer models with the same replacement in every layer can be written this way. (Its RoPE layout
differs, which does not change the cost; its outputs are not meant to match ours.)
"""
from __future__ import annotations

from pathlib import Path

from .gguf_export import (_attention_tensors, _common_keys, _ffn_tensors, _global_tensors, _mamba_tensors,
                          _write, add_vocab, gguf, tiny_byte_vocab)
from .recurformer import RecurFormerModel


def export_falcon_h1(model: RecurFormerModel, path, *, ftype: str = "f16") -> None:
    rc = model.config
    src = rc.source
    heads = {len(rc.kept_query_heads(il)) for il in range(rc.n_layer)}
    kv = {len(rc.kept_groups(il)) for il in range(rc.n_layer)}
    if len(heads) != 1 or len(kv) != 1 or any(layer.mamba is None for layer in model.layers):
        raise ValueError("falcon-h1 needs the same kept heads and a Mamba-2 branch in every layer")
    branch = rc.mamba_config(0)

    w = gguf.GGUFWriter(None, "falcon-h1")
    _common_keys(w, src, rc.name + "-as-falcon-h1", "benchmark twin of a RecurFormer model")
    w.add_head_count(heads.pop())
    w.add_head_count_kv(kv.pop())
    w.add_ssm_conv_kernel(rc.d_conv)
    w.add_ssm_state_size(rc.d_state)
    w.add_ssm_inner_size(branch.d_inner)
    w.add_ssm_time_step_rank(branch.n_heads)
    w.add_ssm_group_count(branch.n_groups)
    w.add_vocab_size(src.vocab_size)
    add_vocab(w, tiny_byte_vocab(src.vocab_size), None)

    tensors = _global_tensors(model)
    for il, layer in enumerate(model.layers):
        p = f"blk.{il}."
        tensors.append((p + "attn_norm.weight", layer.attn_norm.weight.detach().float().numpy()))
        tensors += _attention_tensors(p, layer.attn, src.rope_type, src.rope_type)
        tensors += _mamba_tensors(p, layer.mamba)
        # llama.cpp's falcon-h1 loader names this one without the ".weight" suffix
        tensors += [(n.replace("ffn_norm.weight", "ffn_norm"), a) for n, a in _ffn_tensors(p, layer)]
    _write(w, Path(path), tensors, ftype)
