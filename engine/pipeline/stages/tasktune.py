"""Long-context task tuning of the dense model: freshly generated document Q&A and HashHop rows
(taskdata.py), loss on the answer tokens plus a little language-model loss, every `--lm-every`-th
step a batch of ordinary training text with full LM loss so that the rest is not forgotten.

    python -m engine.pipeline.stages.tasktune --init DENSE(.gguf or checkpoint) --data SHARDS \
        --tokenizer tokenizer.json --paragraphs paragraphs.txt.xz --out CKPT --minutes 8

    loss = CE(answer tokens) + lm_weight x CE(all tokens)

Several GPUs: `torchrun --nproc_per_node N -m engine.pipeline.stages.tasktune ...` (--batch and
--workers per GPU).
"""
from __future__ import annotations

import argparse
import json
import os

import torch
import torch.nn.functional as F

from . import checkpoint, distributed
from .data import Batches, check_token_range, load_tokens
from .schedule import train
from .taskdata import TaskBatches, check_tokenizer, parse_task_mix


def task_loss(model, ids, mask, lm_weight: float):
    logits, _ = model(ids[:, :-1])
    ce = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")
    m = mask[:, 1:].reshape(-1)
    return (ce * m).sum() / m.sum().clamp(min=1) + lm_weight * ce.mean()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--init", required=True, help="dense checkpoint, Hugging Face directory or GGUF")
    ap.add_argument("--data", required=True, help="ordinary training shards (for the LM batches)")
    ap.add_argument("--tokenizer", required=True,
                    help="the model's tokenizer.json: this project's, or a Hugging Face checkpoint's own "
                         "(HF_DIR/tokenizer.json: task rows in its ids and chat template)")
    ap.add_argument("--paragraphs", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seq-len", type=int, default=4096)
    ap.add_argument("--batch", type=int, default=16, help="rows per step on each GPU (torchrun: per process)")
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--lm-weight", type=float, default=0.1)
    ap.add_argument("--lm-every", type=int, default=4)
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=8.0)
    ap.add_argument("--workers", type=int, default=8, help="task-row generator processes (per GPU)")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--task-mix", type=parse_task_mix, default={},
                    help="KIND=WEIGHT,... replacing tasks/skills.py's TASK_MIX weights (ablations; 0 drops a kind)")
    args = ap.parse_args(argv)

    device = distributed.setup()
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = True
    model, _ = checkpoint.load(args.out if os.path.exists(os.path.join(args.out, "model.pt")) else args.init, device,
                               stage="tasktune")
    shard = dict(rank=distributed.rank(), world=distributed.world())
    check_tokenizer(args.tokenizer, model.config.vocab_size)
    tokens = load_tokens(args.data)
    check_token_range(tokens, model.config.vocab_size, args.data)
    tasks = TaskBatches(args.tokenizer, args.paragraphs, args.batch, args.seq_len, args.seed, args.workers, **shard,
                        task_mix=args.task_mix)
    text = Batches(tokens, args.batch, args.seq_len, args.seed, **shard)

    def loss_fn(step, net):
        if step % args.lm_every == args.lm_every - 1:
            rows = text.get(step, device)
            logits, _ = net(rows[:, :-1])
            return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), rows[:, 1:].reshape(-1)), rows[:, 1:].numel()
        ids, mask = tasks.get(step, device)
        return task_loss(net, ids, mask, args.lm_weight), ids[:, 1:].numel()

    try:
        summary = train(model, loss_fn, out=args.out, total_steps=args.steps, peak_lr=args.lr, warmup=50,
                        minutes=args.minutes, extra={"stage": "tasktune"})
    finally:
        tasks.close()
    distributed.log(json.dumps({k: v for k, v in summary.items() if k != "history"}))
    distributed.finish()


if __name__ == "__main__":
    main()
