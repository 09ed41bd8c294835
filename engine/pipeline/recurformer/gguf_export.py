"""GGUF export: dense models as llama.cpp's `llama` (or `qwen2` with Q/K/V biases), RecurFormer models as
`recurformer` exactly as engine/llama/README.md specifies. Tensor data F32, F16 or Q8_0.

Layout: a PyTorch Linear weight [out, in] is written as is; gguf-py records the ggml shape reversed,
{in, out}, which is what llama.cpp expects (e.g. attn_q.weight {E, n_head*hd}).

RoPE: llama.cpp's `llama` arch rotates pairs (2i, 2i+1) ("norm"), its `qwen2` arch pairs (i, i+hd/2)
("neox"). A dense model in the other layout gets its Q and K rows (and biases) permuted per head on
export, like convert_hf_to_gguf.py's `permute` for HF Llama checkpoints. A RecurFormer model is written
in its own layout, named by `recurformer.rope.type`.

Tensor types: F16/Q8_0 apply to 2-D weight matrices only. Always F32: 1-D tensors (norms, biases),
ssm_a, ssm_d, ssm_norm, and ssm_conv1d.weight (ggml's CPU ssm_conv reads it as f32). Q8_0 needs rows
(ggml ne0) that are a multiple of 32; other matrices fall back to F16, like llama-quantize.
"""
from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .dense import DenseModel
from .recurformer import RecurFormerModel


def import_gguf():
    """gguf-py: the copy bundled with the llama.cpp we patch (it matches that llama.cpp), else `pip install gguf`."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        bundled = parent / "node_modules" / "node-llama-cpp" / "llama" / "llama.cpp" / "gguf-py"
        if bundled.is_dir():
            if str(bundled) not in sys.path:
                sys.path.insert(0, str(bundled))
            break
    extra = os.environ.get("GGUF_PY")
    if extra and extra not in sys.path:
        sys.path.insert(0, extra)
    import gguf  # noqa: E402
    return gguf


gguf = import_gguf()
GT = gguf.GGMLQuantizationType

FTYPES = {  # name -> (matrix tensor type, general.file_type)
    "f32": (GT.F32, gguf.LlamaFileType.ALL_F32),
    "f16": (GT.F16, gguf.LlamaFileType.MOSTLY_F16),
    "q8_0": (GT.Q8_0, gguf.LlamaFileType.MOSTLY_Q8_0),
}
ALWAYS_F32_SUFFIXES = ("ssm_a", "ssm_d", "ssm_norm.weight", "ssm_conv1d.weight", "shortconv.conv.weight")


# ----------------------------------------------------------------------------- tokenizer

@dataclass
class GgufVocab:
    """What goes into tokenizer.ggml.*: a SentencePiece-style ("llama") or BPE ("gpt2") vocabulary."""
    model: str                               # tokenizer.ggml.model: "llama" (SPM) or "gpt2" (BPE)
    tokens: List[str]
    scores: Optional[List[float]]            # None: not written (as convert_hf_to_gguf.py does for BPE)
    token_types: List[int]                   # gguf.TokenType values
    bos_id: Optional[int] = 1                # None: the key is not written
    eos_id: Optional[int] = 2
    unk_id: Optional[int] = 0
    pad_id: Optional[int] = None
    add_bos: Optional[bool] = True
    add_eos: Optional[bool] = False
    merges: List[str] = field(default_factory=list)   # BPE only
    pre: Optional[str] = None                          # tokenizer.ggml.pre (BPE pre-tokenizer name)
    eot_id: Optional[int] = None                       # tokenizer.ggml.eot_token_id (end of a chat turn)

    def __len__(self):
        return len(self.tokens)


def tiny_byte_vocab(vocab_size: int = 320) -> GgufVocab:
    """A minimal valid SPM vocabulary for test models: <unk>, <s>, </s>, the 256 byte tokens
    <0x00>..<0xFF> (so any text can be tokenized), then "▁", single characters and two-letter pieces
    with decreasing scores, up to vocab_size."""
    if vocab_size < 260:
        raise ValueError("tiny_byte_vocab needs at least 260 tokens (3 control + 256 bytes + '▁')")
    T = gguf.TokenType
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [T.UNKNOWN, T.CONTROL, T.CONTROL] + [T.BYTE] * 256
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    pieces = ["▁"] + list(letters) + ["▁" + c for c in letters] + list(letters.upper()) + list("0123456789.,!?'")
    pieces += [a + b for a in letters for b in letters]
    pieces += [f"▁{a}{b}" for a in letters for b in letters]
    seen = set(tokens)
    extra = [p for p in dict.fromkeys(pieces) if p not in seen][: vocab_size - len(tokens)]
    if len(tokens) + len(extra) < vocab_size:
        raise ValueError(f"tiny_byte_vocab has at most {len(tokens) + len(extra)} tokens")
    tokens += extra
    types += [T.NORMAL] * len(extra)
    scores = [0.0] * 259 + [-float(i) for i in range(len(extra))]
    return GgufVocab(model="llama", tokens=tokens, scores=scores, token_types=[int(t) for t in types])


def add_vocab(w, vocab: GgufVocab, chat_template: Optional[str]) -> None:
    w.add_tokenizer_model(vocab.model)
    if vocab.pre:
        w.add_tokenizer_pre(vocab.pre)
    w.add_token_list(vocab.tokens)
    if vocab.scores is not None:
        w.add_token_scores(vocab.scores)
    w.add_token_types(vocab.token_types)
    if vocab.merges:
        w.add_token_merges(vocab.merges)
    optional = ((vocab.bos_id, w.add_bos_token_id), (vocab.eos_id, w.add_eos_token_id), (vocab.unk_id, w.add_unk_token_id),
                (vocab.pad_id, w.add_pad_token_id), (vocab.eot_id, w.add_eot_token_id),
                (vocab.add_bos, w.add_add_bos_token), (vocab.add_eos, w.add_add_eos_token))
    for value, add in optional:
        if value is not None:
            add(value)
    if chat_template:
        w.add_chat_template(chat_template)


# ----------------------------------------------------------------------------- tensors

def permute_rope_rows(w: np.ndarray, n_heads: int, src: str, dst: str) -> np.ndarray:
    """Reorders each head's rows (Q/K weight [heads*hd, E] or bias [heads*hd]) from one RoPE layout to the
    other. neox -> norm: new row 2j+k = old row k*hd/2 + j (convert_hf_to_gguf.py `permute`)."""
    if src == dst:
        return w
    rest = w.shape[1:]
    hd = w.shape[0] // n_heads
    if src == "neox":   # (heads, 2, hd/2) -> (heads, hd/2, 2)
        return w.reshape(n_heads, 2, hd // 2, *rest).swapaxes(1, 2).reshape(w.shape)
    return w.reshape(n_heads, hd // 2, 2, *rest).swapaxes(1, 2).reshape(w.shape)


def tensor_type(name: str, array: np.ndarray, ftype: str):
    matrix_type = FTYPES[ftype][0]
    if matrix_type == GT.F32 or array.ndim < 2 or name.endswith(ALWAYS_F32_SUFFIXES):
        return GT.F32
    if matrix_type == GT.Q8_0 and array.shape[-1] % 32 != 0:
        return GT.F16
    return matrix_type


def encode(array: np.ndarray, qtype) -> np.ndarray:
    if qtype == GT.F32:
        return np.ascontiguousarray(array, dtype=np.float32)
    if qtype == GT.F16:
        return np.ascontiguousarray(array, dtype=np.float16)
    return gguf.quants.quantize(np.ascontiguousarray(array, dtype=np.float32), qtype)


def np32(t: torch.Tensor) -> np.ndarray:
    return t.detach().to(torch.float32).cpu().numpy()


def _attention_tensors(p: str, attn, rope_from: str, rope_to: str) -> List[Tuple[str, np.ndarray]]:
    out = [(p + "attn_q.weight", permute_rope_rows(np32(attn.wq.weight), attn.n_head, rope_from, rope_to)),
           (p + "attn_k.weight", permute_rope_rows(np32(attn.wk.weight), attn.n_kv_head, rope_from, rope_to)),
           (p + "attn_v.weight", np32(attn.wv.weight))]
    if attn.wq.bias is not None:
        out += [(p + "attn_q.bias", permute_rope_rows(np32(attn.wq.bias), attn.n_head, rope_from, rope_to)),
                (p + "attn_k.bias", permute_rope_rows(np32(attn.wk.bias), attn.n_kv_head, rope_from, rope_to)),
                (p + "attn_v.bias", np32(attn.wv.bias))]
    out.append((p + "attn_output.weight", np32(attn.wo.weight)))
    return out


def _ffn_tensors(p: str, layer) -> List[Tuple[str, np.ndarray]]:
    return [(p + "ffn_norm.weight", np32(layer.ffn_norm.weight)),
            (p + "ffn_gate.weight", np32(layer.ffn.w_gate.weight)),
            (p + "ffn_up.weight", np32(layer.ffn.w_up.weight)),
            (p + "ffn_down.weight", np32(layer.ffn.w_down.weight))]


def _mamba_tensors(p: str, m) -> List[Tuple[str, np.ndarray]]:
    c = m.config
    return [(p + "ssm_in.weight", np32(m.in_proj.weight)),                              # {E, in_dim}
            (p + "ssm_conv1d.weight", np32(m.conv_weight)),                             # {K, conv_dim}
            (p + "ssm_conv1d.bias", np32(m.conv_bias)),
            (p + "ssm_dt.bias", np32(m.dt_bias)),
            (p + "ssm_a", np32(m.A()).reshape(c.n_heads, 1)),                           # {1, H}, -exp(A_log)
            (p + "ssm_d", np32(m.D).reshape(c.n_heads, 1)),                             # {1, H}
            (p + "ssm_norm.weight", np32(m.norm_weight).reshape(c.n_groups, c.d_inner // c.n_groups)),
            (p + "ssm_out.weight", np32(m.out_proj.weight))]                            # {d_inner, E}


def _global_tensors(model) -> List[Tuple[str, np.ndarray]]:
    out = [("token_embd.weight", np32(model.tok_embd.weight)),
           ("output_norm.weight", np32(model.output_norm.weight))]
    if model.output is not None:
        out.append(("output.weight", np32(model.output.weight)))
    return out


# ----------------------------------------------------------------------------- writers

def _u32_array(w, key: str, values: Sequence[int]) -> None:
    w.add_key_value(key, [int(v) for v in values], gguf.GGUFValueType.ARRAY, sub_type=gguf.GGUFValueType.UINT32)


def _f32_array(w, key: str, values: Sequence[float]) -> None:
    w.add_key_value(key, [float(v) for v in values], gguf.GGUFValueType.ARRAY, sub_type=gguf.GGUFValueType.FLOAT32)


def _write(w, path: Path, tensors: List[Tuple[str, np.ndarray]], ftype: str) -> Dict[str, str]:
    types = {}
    for name, array in tensors:
        qtype = tensor_type(name, array, ftype)
        data = encode(array, qtype)
        w.add_tensor(name, data, raw_dtype=qtype if qtype not in (GT.F32, GT.F16) else None)
        types[name] = qtype.name
    w.add_file_type(int(FTYPES[ftype][1]))
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)
    path.parent.mkdir(parents=True, exist_ok=True)
    w.write_header_to_file(path)
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return types


def _common_keys(w, cfg, name: str, description: Optional[str]) -> None:
    w.add_name(name)
    if description:
        w.add_description(description)
    w.add_context_length(cfg.context_length)
    w.add_embedding_length(cfg.n_embd)
    w.add_block_count(cfg.n_layer)
    w.add_feed_forward_length(cfg.ffn_hidden)
    w.add_key_length(cfg.head_dim)
    w.add_value_length(cfg.head_dim)
    w.add_layer_norm_rms_eps(cfg.rms_eps)
    w.add_rope_freq_base(cfg.rope_base)
    w.add_rope_dimension_count(cfg.head_dim)


def export_dense(model: DenseModel, path, *, ftype: str = "f32", vocab: Optional[GgufVocab] = None,
                 chat_template: Optional[str] = None, arch: Optional[str] = None,
                 description: Optional[str] = None) -> Dict[str, str]:
    """Writes a dense model as `llama` (no biases) or `qwen2` (Q/K/V biases). Returns {tensor: type}."""
    cfg = model.config
    arch = arch or ("qwen2" if cfg.qkv_bias else "llama")
    rope_to = {"llama": "norm", "qwen2": "neox"}[arch]
    if arch == "qwen2" and cfg.n_head * cfg.head_dim != cfg.n_embd:
        raise ValueError("llama.cpp's qwen2 arch needs n_head * head_dim == n_embd")
    vocab = vocab or tiny_byte_vocab(cfg.vocab_size)
    _check_vocab(vocab, cfg.vocab_size)

    w = gguf.GGUFWriter(None, arch)
    _common_keys(w, cfg, cfg.name, description)
    w.add_head_count(cfg.n_head)
    w.add_head_count_kv(cfg.n_kv_head)
    w.add_vocab_size(cfg.vocab_size)
    add_vocab(w, vocab, chat_template)

    tensors = _global_tensors(model)
    for il, layer in enumerate(model.layers):
        p = f"blk.{il}."
        tensors.append((p + "attn_norm.weight", np32(layer.attn_norm.weight)))
        tensors += _attention_tensors(p, layer.attn, cfg.rope_type, rope_to)
        tensors += _ffn_tensors(p, layer)
    return _write(w, Path(path), tensors, ftype)


def export_recurformer(model: RecurFormerModel, path, *, ftype: str = "f32", vocab: Optional[GgufVocab] = None,
                       chat_template: Optional[str] = None, source_architecture: Optional[str] = None,
                       description: Optional[str] = None) -> Dict[str, str]:
    """Writes a RecurFormer model as `recurformer` (engine/llama/README.md). Returns {tensor: type}."""
    rc = model.config
    src = rc.source
    L = rc.n_layer
    vocab = vocab or tiny_byte_vocab(src.vocab_size)
    _check_vocab(vocab, src.vocab_size)
    A = "recurformer"

    w = gguf.GGUFWriter(None, A)
    _common_keys(w, src, rc.name, description)
    _u32_array(w, f"{A}.attention.head_count", [len(rc.kept_query_heads(il)) for il in range(L)])
    _u32_array(w, f"{A}.attention.head_count_kv", [len(rc.kept_groups(il)) for il in range(L)])
    w.add_string(f"{A}.rope.type", src.rope_type)

    branch = next((rc.mamba_config(il) for il in range(L) if rc.mamba_config(il) is not None), None)
    if branch is None:
        raise ValueError("no layer has a Mamba branch: this is the dense model; write it with export_dense "
                         "(engine/llama/README.md)")
    w.add_ssm_conv_kernel(rc.d_conv)
    w.add_ssm_state_size(rc.d_state)
    w.add_ssm_inner_size(branch.d_inner)
    w.add_ssm_time_step_rank(branch.n_heads)
    w.add_ssm_group_count(branch.n_groups)

    w.add_uint32(f"{A}.source.head_count", src.n_head)
    w.add_uint32(f"{A}.source.head_count_kv", src.n_kv_head)
    w.add_string(f"{A}.source.name", src.name)
    w.add_string(f"{A}.source.architecture", source_architecture or ("qwen2" if src.qkv_bias else "llama"))
    _u32_array(w, f"{A}.provenance.replaced_count", [len(g) for g in rc.replaced_groups])
    _u32_array(w, f"{A}.provenance.replaced_kv_heads", [g for groups in rc.replaced_groups for g in groups])
    nan_grid = [[math.nan] * src.n_kv_head for _ in range(L)]
    _f32_array(w, f"{A}.provenance.recency_scores", [s for row in (rc.recency_scores or nan_grid) for s in row])
    _f32_array(w, f"{A}.provenance.sink_scores", [s for row in (rc.sink_scores or nan_grid) for s in row])
    w.add_uint32(f"{A}.provenance.window", rc.window)
    w.add_vocab_size(src.vocab_size)
    add_vocab(w, vocab, chat_template)

    tensors = _global_tensors(model)
    for il, layer in enumerate(model.layers):
        p = f"blk.{il}."
        tensors.append((p + "attn_norm.weight", np32(layer.attn_norm.weight)))
        tensors += _attention_tensors(p, layer.attn, src.rope_type, src.rope_type)
        if layer.mamba is not None:
            tensors += _mamba_tensors(p, layer.mamba)
        tensors += _ffn_tensors(p, layer)
    return _write(w, Path(path), tensors, ftype)


def _check_vocab(vocab: GgufVocab, vocab_size: int) -> None:
    n_scores = len(vocab.tokens) if vocab.scores is None else len(vocab.scores)
    if len(vocab) != vocab_size or n_scores != vocab_size or len(vocab.token_types) != vocab_size:
        raise ValueError(f"the vocabulary has {len(vocab)} tokens ({n_scores} scores, "
                         f"{len(vocab.token_types)} types), the model {vocab_size}")
