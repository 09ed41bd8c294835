"""Checkpoints: a directory with `config.json` (kind: dense, recurformer or based + config dataclass fields), `model.pt`
(state_dict) and, while training, `train.pt` (optimizer, step, RNG) so a run can resume on a
fresh GPU machine. Works on torch 1.13 and 2.x."""
from __future__ import annotations

import dataclasses
import json
import os
from typing import Optional

import torch

from ..recurformer.based import BasedConfig, BasedModel
from ..recurformer.dense import DenseConfig, DenseModel
from ..recurformer.recurformer import RecurFormerConfig, RecurFormerModel
from ..recurformer.gguf_load import load_gguf
from . import hf


def config_to_dict(cfg) -> dict:
    if isinstance(cfg, RecurFormerConfig):
        d = dataclasses.asdict(cfg)
        d["source"] = dataclasses.asdict(cfg.source)
        return {"kind": "recurformer", "config": d}
    if isinstance(cfg, BasedConfig):
        return {"kind": "based", "config": dataclasses.asdict(cfg)}
    return {"kind": "dense", "config": dataclasses.asdict(cfg)}


def config_from_dict(d: dict):
    if d["kind"] == "recurformer":
        c = dict(d["config"])
        c["source"] = DenseConfig(**c["source"])
        return RecurFormerConfig(**c)
    if d["kind"] == "based":
        return BasedConfig(**d["config"])
    return DenseConfig(**d["config"])


def build_model(cfg):
    if isinstance(cfg, BasedConfig):
        return BasedModel(cfg)
    return RecurFormerModel(cfg) if isinstance(cfg, RecurFormerConfig) else DenseModel(cfg)


def save(path: str, model, extra: Optional[dict] = None, train_state: Optional[dict] = None) -> None:
    """Writes atomically: a crash mid-save leaves the previous checkpoint intact."""
    os.makedirs(path, exist_ok=True)
    meta = config_to_dict(model.config)
    meta.update(extra or {})
    tmp = os.path.join(path, ".tmp")
    os.makedirs(tmp, exist_ok=True)
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(meta, f, indent=1)
    torch.save({k: v.detach().to("cpu") for k, v in model.state_dict().items()}, os.path.join(tmp, "model.pt"))
    if train_state is not None:
        torch.save(train_state, os.path.join(tmp, "train.pt"))
    for name in os.listdir(tmp):
        os.replace(os.path.join(tmp, name), os.path.join(path, name))
    os.rmdir(tmp)


def load(path: str, device="cpu", dtype=torch.float32, stage: Optional[str] = None):
    """Returns (model, meta): our checkpoint, a GGUF file, or a Hugging Face Llama/Qwen2 directory (hf.py).
    Raises FileNotFoundError naming the missing file. With `stage` (hf.MEMORY_FACTORS), a Hugging Face
    checkpoint's config is checked against the device's free memory before any weight is read."""
    if path.endswith(".gguf"):      # a shipped model: Q8_0/F16 weights come back dequantized, RoPE as HF's
        model = load_gguf(path, rope_type="neox")
        return model.to(device=device, dtype=dtype), {**config_to_dict(model.config), "source": "gguf"}
    if hf.is_hf_dir(path):
        if stage is not None:
            hf.check_memory(hf.config_of(path), stage, torch.device(device))
        model = hf.load_hf(path)
        return model.to(device=device, dtype=dtype), {**config_to_dict(model.config), "source": "huggingface"}
    cfg_file, weights = os.path.join(path, "config.json"), os.path.join(path, "model.pt")
    for f in (cfg_file, weights):
        if not os.path.exists(f):
            raise FileNotFoundError(f"checkpoint {path}: {os.path.basename(f)} is missing")
    with open(cfg_file) as f:
        meta = json.load(f)
    model = build_model(config_from_dict(meta))
    model.load_state_dict(torch.load(weights, map_location="cpu"))
    return model.to(device=device, dtype=dtype), meta


def train_state(path: str) -> Optional[dict]:
    f = os.path.join(path, "train.pt")
    return torch.load(f, map_location="cpu") if os.path.exists(f) else None
