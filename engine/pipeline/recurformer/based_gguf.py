"""GGUF out and back in for BASED models (`general.architecture = "based"`), exactly as
engine/llama/README.md ("GGUF format: based") specifies. Tensor data F32, F16 or Q8_0 (gguf_export.py's
rules; `shortconv.conv.weight` always F32: ggml's CPU ssm_conv reads it as f32)."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from .based import BasedConfig, BasedModel
from .gguf_export import GgufVocab, _check_vocab, _u32_array, _write, add_vocab, gguf, np32, tiny_byte_vocab

A = "based"
KIND_IDS = {"swa": 0, "linear": 1}


def export_based(model: BasedModel, path, *, ftype: str = "f32", vocab: Optional[GgufVocab] = None,
                 chat_template: Optional[str] = None, description: Optional[str] = None) -> Dict[str, str]:
    """Writes a BASED model. Returns {tensor: type}."""
    cfg = model.config
    vocab = vocab or tiny_byte_vocab(cfg.vocab_size)
    _check_vocab(vocab, cfg.vocab_size)

    w = gguf.GGUFWriter(None, A)
    w.add_name(cfg.name)
    if description:
        w.add_description(description)
    w.add_context_length(cfg.context_length)
    w.add_embedding_length(cfg.n_embd)
    w.add_block_count(cfg.n_layer)
    w.add_feed_forward_length(cfg.ffn_hidden)
    w.add_head_count(cfg.n_head)
    w.add_head_count_kv(cfg.n_head)
    w.add_key_length(cfg.head_dim)
    w.add_value_length(cfg.head_dim)
    w.add_layer_norm_rms_eps(cfg.rms_eps)
    w.add_rope_freq_base(cfg.rope_base)
    w.add_rope_dimension_count(cfg.head_dim)
    w.add_uint32(f"{A}.attention.sliding_window", cfg.window)
    _u32_array(w, f"{A}.layer_kinds", [KIND_IDS[k] for k in cfg.layer_kinds])
    w.add_uint32(f"{A}.linear_attention.feature_dim", cfg.feature_dim)
    w.add_uint32(f"{A}.shortconv.l_cache", cfg.conv_kernel)
    w.add_vocab_size(cfg.vocab_size)
    add_vocab(w, vocab, chat_template)

    tensors = [(name, np32(param)) for name, param in _parameter_names(model)]
    return _write(w, Path(path), tensors, ftype)


def load_based(kv, tensors: Dict[str, np.ndarray]) -> BasedModel:
    """The model of a `based` file (metadata and float32 tensors as gguf_load.read_gguf returns them)."""
    kinds = {v: k for k, v in KIND_IDS.items()}
    cfg = BasedConfig(
        vocab_size=tensors["token_embd.weight"].shape[0], n_layer=int(kv[f"{A}.block_count"]),
        n_embd=int(kv[f"{A}.embedding_length"]), n_head=int(kv[f"{A}.attention.head_count"]),
        head_dim=int(kv[f"{A}.attention.key_length"]), feature_dim=int(kv[f"{A}.linear_attention.feature_dim"]),
        window=int(kv[f"{A}.attention.sliding_window"]), conv_kernel=int(kv[f"{A}.shortconv.l_cache"]),
        ffn_hidden=int(kv[f"{A}.feed_forward_length"]), layer_kinds=[kinds[int(k)] for k in kv[f"{A}.layer_kinds"]],
        rms_eps=float(kv[f"{A}.attention.layer_norm_rms_epsilon"]), rope_base=float(kv[f"{A}.rope.freq_base"]),
        tie_embeddings="output.weight" not in tensors, context_length=int(kv[f"{A}.context_length"]),
        name=str(kv.get("general.name", A)))
    model = BasedModel(cfg).to(torch.float64)
    named = dict(_parameter_names(model))
    for name, param in named.items():
        value = torch.from_numpy(np.ascontiguousarray(tensors[name])).reshape(param.shape)
        with torch.no_grad():
            param.copy_(value)
    return model


def _parameter_names(model: BasedModel) -> List[Tuple[str, torch.nn.Parameter]]:
    """(GGUF tensor name, parameter) for every parameter: what export_based writes and load_based reads back."""
    out = [("token_embd.weight", model.tok_embd.weight), ("output_norm.weight", model.output_norm.weight)]
    if model.output is not None:
        out.append(("output.weight", model.output.weight))
    for il, layer in enumerate(model.layers):
        p = f"blk.{il}."
        out += [(p + "attn_norm.weight", layer.attn_norm.weight), (p + "ffn_norm.weight", layer.ffn_norm.weight),
                (p + "ffn_gate.weight", layer.ffn.w_gate.weight), (p + "ffn_up.weight", layer.ffn.w_up.weight),
                (p + "ffn_down.weight", layer.ffn.w_down.weight), (p + "attn_q.weight", layer.attn.wq.weight),
                (p + "attn_k.weight", layer.attn.wk.weight), (p + "attn_v.weight", layer.attn.wv.weight),
                (p + "attn_output.weight", layer.attn.wo.weight)]
        if layer.kind == "linear":
            c = layer.conv
            out += [(p + "shortconv.in_proj.weight", c.in_proj.weight), (p + "shortconv.in_proj.bias", c.in_proj.bias),
                    (p + "shortconv.conv.weight", c.conv_weight), (p + "shortconv.out_proj.weight", c.out_proj.weight),
                    (p + "shortconv.out_proj.bias", c.out_proj.bias), (p + "attn_norm_2.weight", layer.attn_norm_2.weight)]
    return out
