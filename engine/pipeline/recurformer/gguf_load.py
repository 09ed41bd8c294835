"""GGUF import: the inverse of gguf_export.py, for the files it writes (`llama`, `qwen2`, `recurformer`; `based`
through based_gguf.py).

Used to check an export (round trip) and to compute reference logits from exactly the numbers llama.cpp
reads (F16/Q8_0 rounding included): test/fixtures' expected logits come from a model loaded back here.

A `llama` file stores Q/K in the "norm" RoPE layout; `load_gguf(path, rope_type="neox")` permutes them
back, giving the model that was exported (same function either way).
"""
from __future__ import annotations

import math
from typing import Any, Dict, Optional, Tuple

import numpy as np
import torch

from .based_gguf import load_based
from .dense import DenseConfig, DenseModel
from .gguf_export import gguf, permute_rope_rows
from .recurformer import RecurFormerConfig, RecurFormerModel


def read_gguf(path) -> Tuple[Dict[str, Any], Dict[str, np.ndarray], Dict[str, str]]:
    """(metadata, tensors as float32 numpy arrays in PyTorch [out, in] order, tensor type names)."""
    reader = gguf.GGUFReader(str(path))
    kv = {name: f.contents() for name, f in reader.fields.items() if not name.startswith("GGUF.")}
    tensors, types = {}, {}
    for t in reader.tensors:
        shape = tuple(int(d) for d in reversed(t.shape.tolist()))     # ggml {ne0, ne1} -> numpy (ne1, ne0)
        data = gguf.quants.dequantize(t.data, t.tensor_type)
        tensors[t.name] = np.array(data, dtype=np.float32).reshape(shape)
        types[t.name] = t.tensor_type.name
    return kv, tensors, types


def load_gguf(path, rope_type: Optional[str] = None, dtype=torch.float32):
    """A DenseModel, RecurFormerModel or BasedModel with the file's weights. rope_type: the layout the returned model
    uses (default: the file's)."""
    kv, tensors, _ = read_gguf(path)
    arch = kv["general.architecture"]
    if arch in ("llama", "qwen2"):
        return _load_dense(kv, tensors, arch, rope_type).to(dtype)
    if arch == "recurformer":
        return _load_recurformer(kv, tensors, rope_type).to(dtype)
    if arch == "based":
        return load_based(kv, tensors).to(dtype)
    raise ValueError(f"{path}: architecture {arch!r} is not one this pipeline writes")


def _dense_config(kv, tensors, arch: str, file_rope: str, n_head: int, n_kv_head: int) -> DenseConfig:
    E = int(kv[f"{arch}.embedding_length"])
    return DenseConfig(
        vocab_size=tensors["token_embd.weight"].shape[0], n_layer=int(kv[f"{arch}.block_count"]), n_embd=E,
        n_head=n_head, n_kv_head=n_kv_head, head_dim=int(kv.get(f"{arch}.attention.key_length", E // n_head)),
        ffn_hidden=int(kv[f"{arch}.feed_forward_length"]),
        rms_eps=float(kv[f"{arch}.attention.layer_norm_rms_epsilon"]),
        rope_base=float(kv.get(f"{arch}.rope.freq_base", 10000.0)), rope_type=file_rope,
        qkv_bias="blk.0.attn_q.bias" in tensors, tie_embeddings="output.weight" not in tensors,
        context_length=int(kv.get(f"{arch}.context_length", 2048)), name=str(kv.get("general.name", arch)))


def _set(param: torch.nn.Parameter, array: np.ndarray) -> None:
    value = torch.from_numpy(np.ascontiguousarray(array)).reshape(param.shape)
    with torch.no_grad():
        param.copy_(value)


def _load_common(model, tensors, file_rope: str, rope_type: str, has_mamba_layer=lambda il: False) -> None:
    _set(model.tok_embd.weight, tensors["token_embd.weight"])
    _set(model.output_norm.weight, tensors["output_norm.weight"])
    if model.output is not None:
        _set(model.output.weight, tensors["output.weight"])
    for il, layer in enumerate(model.layers):
        p = f"blk.{il}."
        a = layer.attn
        _set(layer.attn_norm.weight, tensors[p + "attn_norm.weight"])
        _set(a.wq.weight, permute_rope_rows(tensors[p + "attn_q.weight"], a.n_head, file_rope, rope_type))
        _set(a.wk.weight, permute_rope_rows(tensors[p + "attn_k.weight"], a.n_kv_head, file_rope, rope_type))
        _set(a.wv.weight, tensors[p + "attn_v.weight"])
        _set(a.wo.weight, tensors[p + "attn_output.weight"])
        if a.wq.bias is not None:
            _set(a.wq.bias, permute_rope_rows(tensors[p + "attn_q.bias"], a.n_head, file_rope, rope_type))
            _set(a.wk.bias, permute_rope_rows(tensors[p + "attn_k.bias"], a.n_kv_head, file_rope, rope_type))
            _set(a.wv.bias, tensors[p + "attn_v.bias"])
        _set(layer.ffn_norm.weight, tensors[p + "ffn_norm.weight"])
        _set(layer.ffn.w_gate.weight, tensors[p + "ffn_gate.weight"])
        _set(layer.ffn.w_up.weight, tensors[p + "ffn_up.weight"])
        _set(layer.ffn.w_down.weight, tensors[p + "ffn_down.weight"])
        m = getattr(layer, "mamba", None)
        if m is not None:
            _set(m.in_proj.weight, tensors[p + "ssm_in.weight"])
            _set(m.conv_weight, tensors[p + "ssm_conv1d.weight"])
            _set(m.conv_bias, tensors[p + "ssm_conv1d.bias"])
            _set(m.dt_bias, tensors[p + "ssm_dt.bias"])
            _set(m.A_log, np.log(-tensors[p + "ssm_a"].astype(np.float64)))   # file holds A = -exp(A_log)
            _set(m.D, tensors[p + "ssm_d"])
            _set(m.norm_weight, tensors[p + "ssm_norm.weight"])
            _set(m.out_proj.weight, tensors[p + "ssm_out.weight"])


def _load_dense(kv, tensors, arch: str, rope_type: Optional[str]) -> DenseModel:
    file_rope = {"llama": "norm", "qwen2": "neox"}[arch]
    rope_type = rope_type or file_rope
    cfg = _dense_config(kv, tensors, arch, rope_type, int(kv[f"{arch}.attention.head_count"]),
                        int(kv[f"{arch}.attention.head_count_kv"]))
    model = DenseModel(cfg).to(torch.float64)
    _load_common(model, tensors, file_rope, rope_type)
    return model


def _load_recurformer(kv, tensors, rope_type: Optional[str]) -> RecurFormerModel:
    A = "recurformer"
    file_rope = str(kv.get(f"{A}.rope.type", "norm"))
    rope_type = rope_type or file_rope
    src = _dense_config(kv, tensors, A, rope_type, int(kv[f"{A}.source.head_count"]),
                        int(kv[f"{A}.source.head_count_kv"]))
    src.name = str(kv[f"{A}.source.name"])
    counts = [int(c) for c in kv[f"{A}.provenance.replaced_count"]]
    flat = [int(g) for g in kv.get(f"{A}.provenance.replaced_kv_heads", [])]
    replaced, i = [], 0
    for c in counts:
        replaced.append(flat[i:i + c])
        i += c

    def grid(key):
        values = kv.get(key)
        if values is None or all(math.isnan(v) for v in values):
            return None
        return [list(map(float, values[il * src.n_kv_head:(il + 1) * src.n_kv_head])) for il in range(src.n_layer)]

    cfg = RecurFormerConfig(source=src, replaced_groups=replaced, d_state=int(kv[f"{A}.ssm.state_size"]),
                            d_conv=int(kv[f"{A}.ssm.conv_kernel"]), name=str(kv.get("general.name", A)),
                            recency_scores=grid(f"{A}.provenance.recency_scores"),
                            sink_scores=grid(f"{A}.provenance.sink_scores"),
                            window=int(kv.get(f"{A}.provenance.window", 64)))
    model = RecurFormerModel(cfg).to(torch.float64)
    for il in range(src.n_layer):   # the file's head counts must be what the provenance says
        if int(kv[f"{A}.attention.head_count"][il]) != len(cfg.kept_query_heads(il)):
            raise ValueError(f"layer {il}: head_count disagrees with provenance.replaced_count")
    _load_common(model, tensors, file_rope, rope_type)
    return model
