"""Hugging Face checkpoints (a directory with `config.json` and `*.safetensors`) of Llama or Qwen2
models: checked, loaded as a DenseModel, and written back (our own dense model, to prove the path).

Every problem is reported before any long work starts, naming what is wrong: another architecture,
a missing or mismatched file or tensor, or too little GPU memory for the chosen stage.
Safetensors are read and written here directly (8-byte header length, JSON header, raw data), so the
pipeline needs no extra package. HF Llama/Qwen2 rotate Q/K with `rotate_half`, i.e. rope_type "neox".
"""
from __future__ import annotations

import glob
import json
import os
import struct
from typing import Dict, Optional

import numpy as np
import torch

from ..recurformer.dense import DenseConfig, DenseModel

SUPPORTED = {"LlamaForCausalLM": "llama", "Qwen2ForCausalLM": "qwen2"}
DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": None, "I64": np.int64}


class CheckpointError(ValueError):
    """A Hugging Face checkpoint this pipeline cannot convert; the message says what is wrong."""


def is_hf_dir(path: str) -> bool:
    cfg = os.path.join(path, "config.json")
    if not os.path.isfile(cfg):
        return False
    with open(cfg) as f:
        return "architectures" in json.load(f)


def read_safetensors(path: str) -> Dict[str, torch.Tensor]:
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise CheckpointError(f"{path}: not a safetensors file (shorter than 8 bytes)")
        (n,) = struct.unpack("<Q", raw)
        if n > min(size - 8, 100_000_000):
            raise CheckpointError(f"{path}: safetensors header length {n} is larger than the file")
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            start, end = info["data_offsets"]
            if base + end > size:
                raise CheckpointError(f"{path}: tensor {name} runs past the end of the file (truncated download?)")
            f.seek(base + start)
            buf = f.read(end - start)
            if info["dtype"] == "BF16":
                t = torch.frombuffer(bytearray(buf), dtype=torch.int16).view(torch.bfloat16).float()
            elif info["dtype"] in DTYPES:
                t = torch.from_numpy(np.frombuffer(buf, dtype=DTYPES[info["dtype"]]).copy()).float()
            else:
                raise CheckpointError(f"{path}: tensor {name} has dtype {info['dtype']}, expected F32, F16 or BF16")
            out[name] = t.reshape(info["shape"])
    return out


def write_safetensors(path: str, tensors: Dict[str, torch.Tensor]) -> None:
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)


def config_of(path: str) -> DenseConfig:
    cfg_file = os.path.join(path, "config.json")
    if not os.path.isfile(cfg_file):
        raise CheckpointError(f"{path}: config.json is missing (expected a Hugging Face model directory)")
    with open(cfg_file) as f:
        c = json.load(f)
    arch = (c.get("architectures") or ["?"])[0]
    if arch not in SUPPORTED:
        raise CheckpointError(f"{path}: architecture {arch} is not supported; this pipeline converts "
                              f"{', '.join(SUPPORTED)}")
    rope_scaling = c.get("rope_scaling")
    if rope_scaling and rope_scaling.get("rope_type", rope_scaling.get("type")) not in (None, "default"):
        raise CheckpointError(f"{path}: rope_scaling {rope_scaling} is not supported yet (plain RoPE only)")
    if c.get("hidden_act", "silu") != "silu":
        raise CheckpointError(f"{path}: hidden_act {c['hidden_act']} is not supported (SwiGLU/silu only)")
    n_head = c["num_attention_heads"]
    return DenseConfig(vocab_size=c["vocab_size"], n_layer=c["num_hidden_layers"], n_embd=c["hidden_size"],
                       n_head=n_head, n_kv_head=c.get("num_key_value_heads", n_head),
                       head_dim=c.get("head_dim") or c["hidden_size"] // n_head, ffn_hidden=c["intermediate_size"],
                       rms_eps=c.get("rms_norm_eps", 1e-6), rope_base=c.get("rope_theta", 10000.0), rope_type="neox",
                       qkv_bias=SUPPORTED[arch] == "qwen2", tie_embeddings=bool(c.get("tie_word_embeddings", False)),
                       context_length=c.get("max_position_embeddings", 4096),
                       name=c.get("_name_or_path") or os.path.basename(os.path.abspath(path)))


# bytes per parameter a stage holds: fp32 weights; + a bf16 copy of the teacher and fp32 grads + AdamW (convert);
# fp32 grads + AdamW (tasktune)
MEMORY_FACTORS = {"analyze": 4, "export": 4, "tasktune": 4 + 4 + 8, "convert": 4 + 2 + 12}


def parameter_count(cfg: DenseConfig) -> int:
    return cfg.vocab_size * cfg.n_embd * (1 if cfg.tie_embeddings else 2) + cfg.n_layer * (
        cfg.n_embd * cfg.head_dim * (2 * cfg.n_head + 2 * cfg.n_kv_head) + 3 * cfg.n_embd * cfg.ffn_hidden)


def check_memory(cfg: DenseConfig, stage: str, device: torch.device, free_bytes: Optional[int] = None) -> None:
    """Rough need of `stage` (MEMORY_FACTORS, +30% for activations) against the GPU's free memory;
    raises CheckpointError before any long work starts. CPU runs are not checked unless `free_bytes` is given."""
    n = parameter_count(cfg)
    need = n * MEMORY_FACTORS[stage] * 1.3
    if free_bytes is None:
        if device.type != "cuda":
            return
        free_bytes, _ = torch.cuda.mem_get_info(device)
    if free_bytes < need:
        raise CheckpointError(f"{stage} of a {n / 1e9:.2f}B-parameter model needs about {need / 2**30:.1f} GiB "
                              f"of GPU memory, {free_bytes / 2**30:.1f} GiB is free; use a larger GPU or several "
                              "(torchrun, see engine/pipeline/README.md)")


HF_NAMES = {"tok_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
            "output.weight": "lm_head.weight"}
LAYER_NAMES = {"attn_norm.weight": "input_layernorm.weight", "ffn_norm.weight": "post_attention_layernorm.weight",
               "attn.wq.weight": "self_attn.q_proj.weight", "attn.wk.weight": "self_attn.k_proj.weight",
               "attn.wv.weight": "self_attn.v_proj.weight", "attn.wo.weight": "self_attn.o_proj.weight",
               "attn.wq.bias": "self_attn.q_proj.bias", "attn.wk.bias": "self_attn.k_proj.bias",
               "attn.wv.bias": "self_attn.v_proj.bias", "ffn.w_gate.weight": "mlp.gate_proj.weight",
               "ffn.w_up.weight": "mlp.up_proj.weight", "ffn.w_down.weight": "mlp.down_proj.weight"}


def hf_name(ours: str) -> str:
    if ours.startswith("layers."):
        _, il, rest = ours.split(".", 2)
        return f"model.layers.{il}.{LAYER_NAMES[rest]}"
    return HF_NAMES[ours]


def load_hf(path: str) -> DenseModel:
    cfg = config_of(path)
    files = sorted(glob.glob(os.path.join(path, "*.safetensors")))
    if not files:
        raise CheckpointError(f"{path}: no *.safetensors files (convert .bin checkpoints with transformers first)")
    tensors = {}
    for f in files:
        tensors.update(read_safetensors(f))
    model = DenseModel(cfg)
    state = {}
    for ours, p in model.state_dict().items():
        name = hf_name(ours)
        if name not in tensors:
            raise CheckpointError(f"{path}: tensor {name} is missing")
        if tuple(tensors[name].shape) != tuple(p.shape):
            raise CheckpointError(f"{path}: tensor {name} has shape {tuple(tensors[name].shape)}, "
                                  f"config.json implies {tuple(p.shape)}")
        state[ours] = tensors[name]
    model.load_state_dict(state)
    return model


def save_hf(model: DenseModel, path: str) -> None:
    """Writes our dense model as a Hugging Face LlamaForCausalLM (or Qwen2 with biases) directory."""
    cfg = model.config
    if cfg.rope_type != "neox":
        raise CheckpointError("Hugging Face Llama/Qwen2 use rotate_half RoPE (neox); this model uses "
                              f"{cfg.rope_type}: permute Q/K first")
    os.makedirs(path, exist_ok=True)
    arch = "Qwen2ForCausalLM" if cfg.qkv_bias else "LlamaForCausalLM"
    with open(os.path.join(path, "config.json"), "w") as f:
        json.dump({"architectures": [arch], "model_type": "qwen2" if cfg.qkv_bias else "llama",
                   "vocab_size": cfg.vocab_size, "hidden_size": cfg.n_embd, "num_hidden_layers": cfg.n_layer,
                   "num_attention_heads": cfg.n_head, "num_key_value_heads": cfg.n_kv_head, "head_dim": cfg.head_dim,
                   "intermediate_size": cfg.ffn_hidden, "rms_norm_eps": cfg.rms_eps, "rope_theta": cfg.rope_base,
                   "max_position_embeddings": cfg.context_length, "tie_word_embeddings": cfg.tie_embeddings,
                   "hidden_act": "silu", "torch_dtype": "float32", "_name_or_path": cfg.name}, f, indent=1)
    write_safetensors(os.path.join(path, "model.safetensors"),
                      {hf_name(k): v for k, v in model.state_dict().items()})
