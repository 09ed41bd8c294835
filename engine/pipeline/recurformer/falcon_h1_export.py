"""A RecurFormer model written as llama.cpp's own `falcon-h1` architecture, for benchmarking.

Falcon-H1 is llama.cpp's stock "parallel hybrid" layer (attention + Mamba-2 on the same normed
input, summed), the nearest existing graph to ours. With the same tensors, head counts and SSM shape
it costs the same arithmetic, so `recurformer bench` can put our graph beside llama.cpp's own on an
equal shape. Falcon-H1 has one uniform head count and a Mamba-2 branch in every layer, so only
RecurFormer models with the same replacement in every layer can be written this way.

llama.cpp's falcon-h1 graph rotates Q/K in the "neox" layout (pairs i, i+hd/2), so Q/K rows are permuted
into it (as the dense `qwen2` export does); the rest is written as is. Its graph is then the same function
as our `recurformer` graph of the same model (both call llama.cpp's build_mamba2_layer on the normed input
and add it to the attention output), which the engine parity fixture `bench-falcon-h1` checks.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional

from .gguf_export import (_attention_tensors, _common_keys, _ffn_tensors, _global_tensors, _mamba_tensors,
                          GgufVocab, _check_vocab, _write, add_vocab, gguf, tiny_byte_vocab)
from .recurformer import RecurFormerModel

FALCON_H1_ROPE = "neox"     # llama.cpp: llama_model_rope_type(LLM_ARCH_FALCON_H1) = LLAMA_ROPE_TYPE_NEOX


def falcon_h1_tensor_name(name: str) -> str:
    """Our tensor name -> the falcon-h1 loader's (its ffn_norm has no ".weight" suffix)."""
    return name.replace("ffn_norm.weight", "ffn_norm")


def export_falcon_h1(model: RecurFormerModel, path, *, ftype: str = "f16", chat_template: Optional[str] = None,
                     description: Optional[str] = "benchmark twin of a RecurFormer model",
                     vocab: Optional[GgufVocab] = None) -> Dict[str, str]:
    """Writes `model` as a `falcon-h1` GGUF (vocab: default tiny_byte_vocab, under 1,800 ids). Returns {tensor: type}."""
    rc = model.config
    src = rc.source
    heads = {len(rc.kept_query_heads(il)) for il in range(rc.n_layer)}
    kv = {len(rc.kept_groups(il)) for il in range(rc.n_layer)}
    if len(heads) != 1 or len(kv) != 1 or any(layer.mamba is None for layer in model.layers):
        raise ValueError("falcon-h1 needs the same kept heads and a Mamba-2 branch in every layer")
    branch = rc.mamba_config(0)

    w = gguf.GGUFWriter(None, "falcon-h1")
    _common_keys(w, src, rc.name + "-as-falcon-h1", description)
    w.add_head_count(heads.pop())
    w.add_head_count_kv(kv.pop())
    w.add_ssm_conv_kernel(rc.d_conv)
    w.add_ssm_state_size(rc.d_state)
    w.add_ssm_inner_size(branch.d_inner)
    w.add_ssm_time_step_rank(branch.n_heads)
    w.add_ssm_group_count(branch.n_groups)
    w.add_vocab_size(src.vocab_size)
    vocab = vocab or tiny_byte_vocab(src.vocab_size)
    _check_vocab(vocab, src.vocab_size)
    add_vocab(w, vocab, chat_template)

    tensors = _global_tensors(model)
    for il, layer in enumerate(model.layers):
        p = f"blk.{il}."
        tensors.append((p + "attn_norm.weight", layer.attn_norm.weight.detach().float().numpy()))
        tensors += _attention_tensors(p, layer.attn, src.rope_type, FALCON_H1_ROPE)
        tensors += _mamba_tensors(p, layer.mamba)
        tensors += [(falcon_h1_tensor_name(n), a) for n, a in _ffn_tensors(p, layer)]
    return _write(w, Path(path), tensors, ftype)
