"""Dense pre-training (and context extension) of the Llama-style default model.

    python -m engine.pipeline.stages.pretrain --data DIR --out CKPT --minutes 9 \
        --steps 6000 --seq-len 4096 --batch 16 [--init CKPT --rope-base 500000]

Without --init a new model of the default shape is created (see DEFAULT_SHAPE); with --init the
weights come from that checkpoint (context extension: larger --seq-len and --rope-base). Re-running
with the same --out resumes. Next-token cross-entropy on every position.
Several GPUs: `torchrun --nproc_per_node N -m engine.pipeline.stages.pretrain ...` (--batch per GPU).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os

import torch
import torch.nn.functional as F

from ..recurformer.dense import DenseConfig, DenseModel, init_weights
from ..tokenizer.bpe import Tokenizer
from . import checkpoint, distributed
from .data import Batches, load_tokens
from .schedule import train

# 8 layers x width 512, 8 query heads of 64 over 8 KV heads (so that 7 of 8 groups can be replaced),
# SwiGLU 1024, tied embeddings: about 29M parameters with the 16k vocabulary (a Q8_0 GGUF of ~31 MB,
# so that two fit in one 64 MiB transfer back from the GPU machine). RoPE in Hugging Face's
# rotate_half layout (neox), so that the checkpoint is also a valid HF LlamaForCausalLM (hf.py).
DEFAULT_SHAPE = dict(n_layer=8, n_embd=512, n_head=8, n_kv_head=8, ffn_hidden=1024, tie_embeddings=True,
                     rope_base=10000.0, rope_type="neox")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="directory of uint16 token shards")
    ap.add_argument("--out", required=True, help="checkpoint directory (resumed when it holds one)")
    ap.add_argument("--vocab", type=int, default=0, help="vocabulary size (new model only; default: from tokenizer.json in --data)")
    ap.add_argument("--init", help="start from this checkpoint's weights (context extension)")
    ap.add_argument("--rope-base", type=float, help="new RoPE base (context extension)")
    ap.add_argument("--seq-len", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=16, help="rows per step on each GPU (torchrun: per process)")
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--minutes", type=float, default=9.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (torch 2.x)")
    ap.add_argument("--name", default="recurformer-desktop-dense")
    ap.add_argument("--shape", default="{}", help="JSON overrides of DEFAULT_SHAPE (new model only)")
    args = ap.parse_args(argv)

    device = distributed.setup()
    torch.manual_seed(args.seed)
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = True

    if os.path.exists(os.path.join(args.out, "model.pt")):
        model, _ = checkpoint.load(args.out, device)
    elif args.init:
        model, _ = checkpoint.load(args.init, device)
        cfg = dataclasses.replace(model.config, context_length=args.seq_len,
                                  rope_base=args.rope_base or model.config.rope_base)
        fresh = DenseModel(cfg).to(device)
        fresh.load_state_dict(model.state_dict())
        model = fresh
    else:
        vocab = args.vocab or Tokenizer.load(os.path.join(args.data, "tokenizer.json")).vocab_size
        shape = {**DEFAULT_SHAPE, **json.loads(args.shape)}
        cfg = DenseConfig(vocab_size=vocab, context_length=args.seq_len, name=args.name, **shape)
        model = DenseModel(cfg)
        init_weights(model, seed=args.seed, embed_std=0.02)
        with torch.no_grad():            # GPT-2 style: residual-branch outputs scaled by 1/sqrt(2L)
            for layer in model.layers:
                for w in (layer.attn.wo.weight, layer.ffn.w_down.weight):
                    w.mul_((2 * cfg.n_layer) ** -0.5)
        model = model.to(device)

    n_params = sum(p.numel() for p in model.parameters())
    distributed.log(f"{model.config.name}: {n_params / 1e6:.1f}M parameters, context {model.config.context_length}"
                    + (f", {distributed.world()} processes x batch {args.batch}" if distributed.world() > 1 else ""))
    batches = Batches(load_tokens(args.data), args.batch, args.seq_len, args.seed,
                      rank=distributed.rank(), world=distributed.world())

    def loss_fn(step, net):
        rows = batches.get(step, device)
        logits, _ = net(rows[:, :-1])
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), rows[:, 1:].reshape(-1))
        return loss, rows[:, 1:].numel()

    summary = train(model, loss_fn, out=args.out, total_steps=args.steps, peak_lr=args.lr, warmup=args.warmup,
                    minutes=args.minutes, extra={"parameters": n_params, "stage": "pretrain"}, compile=args.compile)
    distributed.log(json.dumps({k: v for k, v in summary.items() if k != "history"}))
    distributed.finish()


if __name__ == "__main__":
    main()
