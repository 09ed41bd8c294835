"""RecurFormer (or BASED) surgery and continual training.

    python -m engine.pipeline.stages.convert --dense CKPT --recency DIR/recency.json --keep 1 \
        --data DIR --out CKPT [--stage1-steps 600 --stage2-steps 600 --minutes 9]
    python -m engine.pipeline.stages.convert --arch based --window 64 --feature-dim 16 --dense CKPT \
        --data DIR --out CKPT [...]

--arch based replaces steps 1-2 by recurformer/based_surgery.py (sliding-window layers = the dense
attention, linear-attention layers warm-started from it) and trains its new parameters in stage 1;
the loss, data, stages and time box are the same, so BASED and RecurFormer get the same budget.

1. Selection: per layer replace the (n_kv_head - keep) KV groups with the highest recency score.
2. Surgery: attention keeps the other groups' heads; a Mamba-2 branch per layer is warm-started
   from the replaced heads (recurformer/surgery.py).
3. Stage 1: only the new Mamba-2 parameters train, to match the dense teacher:
       loss = KL(teacher || student) on next-token distributions (per-layer output MSE: not used)
4. Stage 2: every parameter at a small learning rate, same loss.
With --paragraphs, every other batch is freshly generated long-context task rows (document Q&A,
HashHop), so that the student learns the teacher's retrieval, not only its text statistics.
Re-running with the same --out resumes (the stage is recorded in the checkpoint); --plan-minutes sizes a
time-boxed schedule for longer than one run (a GPU command lasts 10 minutes), re-runs finish it. --student continues
from a converted model instead (a GGUF such as the shipped recurformer.gguf, or a checkpoint): no
surgery, no stage 1, stage 2 with a fresh optimizer and schedule. A checkpoint's optimizer state does
not fit the GPU machine's 64 MiB transfers, so this is how a conversion goes on across GPU sessions.
Several GPUs: `torchrun --nproc_per_node N -m engine.pipeline.stages.convert ...` (--batch and
--workers per GPU); each rank holds the frozen teacher, only the student is wrapped in DDP.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import torch
import torch.nn.functional as F
import torch.utils.checkpoint

from ..recurformer.based import BasedModel
from ..recurformer.recurformer import RecurFormerModel
from ..recurformer.based_surgery import based_from_dense, new_parameter_names
from ..recurformer.recency import select_replaced_groups
from ..recurformer.surgery import recurformer_from_dense
from . import checkpoint, distributed
from .data import Batches, check_token_range, load_tokens
from .schedule import train
from .taskdata import TaskBatches, check_tokenizer, parse_task_mix


# Full-vocabulary logits of a whole batch are the largest tensors of a conversion: B x T x vocab, and
# several copies of them (bf16 logits, fp32 log-probabilities of teacher and student, the KL terms and
# their gradient). For Qwen2.5 (151,936 ids) at 4 x 4096 tokens each copy is 10 GB. Above
# KL_CHUNK_BYTES per fp32 copy the loss is computed in chunks of tokens instead, each through
# torch.utils.checkpoint: the chunk's logits exist only while its terms are summed (and again while its
# gradient is computed), so the extra memory is a few chunks' worth whatever B x T is. The terms and
# their sums are the same; only the order of the floating-point additions differs.
KL_CHUNK_BYTES = 4 << 30
KL_CHUNK_ELEMENTS = 1 << 28            # vocab x tokens per chunk (1 GiB in fp32): 1,766 tokens of Qwen2.5


def _plain(module):
    """The model under DDP / torch.compile wrappers."""
    module = getattr(module, "_orig_mod", module)
    return getattr(module, "module", module)


class _hidden_states:
    """Within it, the models' forward returns the last hidden state instead of logits (its head, output
    norm + projection, is applied per chunk by _chunk_terms)."""

    def __init__(self, *models):
        self.models = [_plain(m) for m in models]

    def __enter__(self):
        for m in self.models:
            m.head = lambda x: x
        return self

    def __exit__(self, *exc):
        for m in self.models:
            del m.head


def _chunk_terms(student, teacher, h_s, h_t, targets, mask):
    """(sum of KL(teacher || student), sum of answer NLL x mask) over a chunk of last hidden states."""
    with torch.no_grad():
        t = F.log_softmax(type(teacher).head(teacher, h_t).float(), dim=-1)
    s = F.log_softmax(type(student).head(student, h_s).float(), dim=-1)
    kl = F.kl_div(s, t, log_target=True, reduction="sum")
    nll = -s.gather(1, targets.reshape(-1, 1)).squeeze(1)
    return kl, (nll * mask).sum()


def distill_loss(student, teacher, rows: torch.Tensor, answer_mask=None, answer_weight: float = 0.0,
                 chunk_tokens: int | None = None):
    """KL(teacher || student) per token, averaged over tokens; with an answer mask, plus
    answer_weight x cross-entropy of the true answer tokens (the task's own supervision).
    chunk_tokens: tokens per chunk of the loss (above); None: chunks only when B x T x vocab x 4 bytes
    exceeds KL_CHUNK_BYTES, else the whole batch at once as always."""
    inputs = rows[:, :-1]
    vocab = _plain(teacher).config.vocab_size
    if chunk_tokens is None and inputs.numel() * vocab * 4 > KL_CHUNK_BYTES:
        chunk_tokens = max(64, KL_CHUNK_ELEMENTS // vocab)
    if chunk_tokens:
        return _chunked_distill_loss(student, teacher, rows, answer_mask, answer_weight, chunk_tokens)
    with torch.no_grad():
        t_logits, _ = teacher(inputs)
    s_logits, _ = student(inputs)
    t = F.log_softmax(t_logits.float(), dim=-1)
    s = F.log_softmax(s_logits.float(), dim=-1)
    loss = F.kl_div(s.reshape(-1, s.shape[-1]), t.reshape(-1, t.shape[-1]), log_target=True, reduction="batchmean")
    if answer_mask is not None and answer_weight > 0:
        m = answer_mask[:, 1:].reshape(-1)
        nll = -s.reshape(-1, s.shape[-1]).gather(1, rows[:, 1:].reshape(-1, 1)).squeeze(1)
        loss = loss + answer_weight * (nll * m).sum() / m.sum().clamp(min=1)
    return loss


def _chunked_distill_loss(student, teacher, rows, answer_mask, answer_weight, chunk_tokens):
    inputs = rows[:, :-1]
    with _hidden_states(student, teacher) as plain:
        s_mod, t_mod = plain.models
        with torch.no_grad():
            h_t, _ = teacher(inputs)
        h_s, _ = student(inputs)
    h_s, h_t = h_s.reshape(-1, h_s.shape[-1]), h_t.reshape(-1, h_t.shape[-1])
    targets = rows[:, 1:].reshape(-1)
    use_answers = answer_mask is not None and answer_weight > 0
    mask = answer_mask[:, 1:].reshape(-1).float() if use_answers else torch.zeros(targets.shape, device=h_s.device)
    kl = nll = 0.0
    for a in range(0, h_s.shape[0], chunk_tokens):
        b = a + chunk_tokens
        k, n = torch.utils.checkpoint.checkpoint(_chunk_terms, s_mod, t_mod, h_s[a:b], h_t[a:b], targets[a:b],
                                                 mask[a:b], use_reentrant=False)
        kl, nll = kl + k, nll + n
    loss = kl / h_s.shape[0]
    if use_answers:
        loss = loss + answer_weight * nll / mask.sum().clamp(min=1)
    return loss


def set_trainable(model, stage: int) -> int:
    """Stage 1: the surgery's new parameters (RecurFormer: the Mamba-2 branches; BASED:
    based_surgery.new_parameter_names); stage 2: all. Returns the number trained."""
    new = new_parameter_names(model) if isinstance(model, BasedModel) else None
    n = 0
    for name, p in model.named_parameters():
        p.requires_grad = stage == 2 or (name in new if new is not None else ".mamba." in name)
        n += p.numel() if p.requires_grad else 0
    return n


def load_student(path, teacher, device):
    """(model, variant) of a converted model to go on training from: RecurFormer or BASED, of the teacher's
    vocabulary and width (else a ValueError saying which)."""
    student, _ = checkpoint.load(path, device)
    if isinstance(student, RecurFormerModel):
        cfg = student.config
        variant = {"keep": cfg.source.n_kv_head - max(len(g) for g in cfg.replaced_groups)}   # one count (config)
        vocab, width = cfg.source.vocab_size, cfg.source.n_embd
    elif isinstance(student, BasedModel):
        cfg = student.config
        variant = {"arch": "based", "window": cfg.window, "feature_dim": cfg.feature_dim}
        vocab, width = cfg.vocab_size, cfg.n_embd
    else:
        raise ValueError(f"--student {path}: a {type(student).__name__}, not a converted (RecurFormer or BASED) model")
    t = teacher.config
    if (vocab, width) != (t.vocab_size, t.n_embd):
        raise ValueError(f"--student {path}: vocabulary {vocab} and width {width}, the teacher has {t.vocab_size} and "
                         f"{t.n_embd}: it was not converted from this teacher's family")
    return student, variant


def _plan(args, s: int):
    """Minutes stage `s`'s schedule is planned for under --plan-minutes (None: this run's box)."""
    if not args.plan_minutes:
        return None
    if args.student:
        return args.plan_minutes                        # no stage 1 in this conversion
    return args.plan_minutes * (args.stage1_share if s == 1 else 1 - args.stage1_share)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dense", required=True, help="dense teacher checkpoint")
    ap.add_argument("--arch", choices=["recurformer", "based"], default="recurformer")
    ap.add_argument("--recency", help="recurformer: recency.json from the analyze stage")
    ap.add_argument("--keep", type=int, default=1, help="recurformer: KV groups kept per layer (1 = keep 1 of 8)")
    ap.add_argument("--window", type=int, default=64, help="based: sliding window w")
    ap.add_argument("--feature-dim", type=int, default=16, help="based: linear attention's feature dim d'")
    ap.add_argument("--student", help="continue from this converted model (GGUF or checkpoint) at stage 2, "
                                       "instead of surgery on --dense")
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--d-state", type=int, default=64)
    ap.add_argument("--seq-len", type=int, default=2048)
    ap.add_argument("--batch", type=int, default=16, help="rows per step on each GPU (torchrun: per process)")
    ap.add_argument("--stage1-steps", type=int, default=0, help="0: as many as the time box allows")
    ap.add_argument("--stage2-steps", type=int, default=0, help="0: as many as the time box allows")
    ap.add_argument("--stage1-lr", type=float, default=1e-3)
    ap.add_argument("--stage2-lr", type=float, default=1e-4)
    ap.add_argument("--minutes", type=float, default=9.0,
                    help="time box for this run: stage 1 gets --stage1-share of it, stage 2 the rest")
    ap.add_argument("--plan-minutes", type=float, default=0.0,
                    help="size time-boxed stages for this many minutes of training in all (stage 1 its share), "
                         "finished by re-running with the same --out; 0: this run's box")
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--paragraphs", help="haystack paragraphs: every other batch is generated task rows (taskdata.py)")
    ap.add_argument("--tokenizer", help="with --paragraphs: the teacher's tokenizer.json (this project's, or a Hugging "
                                        "Face checkpoint's own HF_DIR/tokenizer.json: its ids and chat template)")
    ap.add_argument("--workers", type=int, default=8, help="task-row generator processes (per GPU)")
    ap.add_argument("--task-every", type=int, default=2, help="with --paragraphs: every n-th batch is task rows")
    ap.add_argument("--task-mix", type=parse_task_mix, default={},
                    help="KIND=WEIGHT,... replacing tasks/skills.py's TASK_MIX weights (ablations; 0 drops a kind)")
    ap.add_argument("--answer-weight", type=float, default=0.0,
                    help="stage 2: weight of the answer cross-entropy on task rows (0 = distillation only)")
    ap.add_argument("--stage1-share", type=float, default=0.5, help="share of the time box for stage 1")
    ap.add_argument("--kl-chunk-tokens", type=int, default=0,
                    help="tokens per chunk of the distillation loss (0: chunks of 2^28 logits only when a batch's "
                         "fp32 logits pass 4 GiB, e.g. Qwen2.5's 151,936-id vocabulary at 4 x 4096 tokens)")
    args = ap.parse_args(argv)
    if args.paragraphs and not args.tokenizer:
        ap.error("--paragraphs needs --tokenizer (the teacher's tokenizer.json)")
    if args.arch == "recurformer" and not args.recency and not args.student:
        ap.error("--arch recurformer needs --recency (or --student)")
    variant = {"keep": args.keep} if args.arch == "recurformer" else \
        {"arch": "based", "window": args.window, "feature_dim": args.feature_dim}

    device = distributed.setup()
    if torch.cuda.is_available():
        torch.backends.cuda.matmul.allow_tf32 = True
    teacher, _ = checkpoint.load(args.dense, device, stage="convert")
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad = False

    stage = 1
    if os.path.exists(os.path.join(args.out, "model.pt")):
        student, meta = checkpoint.load(args.out, device)
        stage = meta.get("stage_index", 1)
    elif args.student:
        student, variant = load_student(args.student, teacher, device)
        stage = 2
    elif args.arch == "based":
        student = based_from_dense(teacher, window=args.window, feature_dim=args.feature_dim, seed=args.seed,
                                   name=f"{teacher.config.name}-based-w{args.window}-d{args.feature_dim}")
    else:
        recency = json.load(open(args.recency))
        replaced = select_replaced_groups(recency["recency"], keep=args.keep)
        student = recurformer_from_dense(teacher, replaced, d_state=args.d_state, window=recency["window"],
                                         recency_scores=recency["recency"], sink_scores=recency["sink"],
                                         name=f"{teacher.config.name}-recurformer-keep{args.keep}")
    shard = dict(rank=distributed.rank(), world=distributed.world())
    tokens = load_tokens(args.data)
    check_token_range(tokens, teacher.config.vocab_size, args.data)
    if args.paragraphs:
        check_tokenizer(args.tokenizer, teacher.config.vocab_size)
    batches = Batches(tokens, args.batch, args.seq_len, args.seed, **shard)
    tasks = TaskBatches(args.tokenizer, args.paragraphs, args.batch, args.seq_len, args.seed, args.workers, **shard,
                        task_mix=args.task_mix) \
        if args.paragraphs else None

    def rows_at(step):
        """(rows, answer mask or None)"""
        if tasks is not None and step % args.task_every == 0:
            return tasks.get(step, device)
        return batches.get(step, device), None
    deadline = time.time() + args.minutes * 60
    summaries = {}
    for s, steps, lr in ((1, args.stage1_steps, args.stage1_lr), (2, args.stage2_steps, args.stage2_lr)):
        if s < stage:
            continue
        n_train = set_trainable(student, s)
        distributed.log(f"stage {s}: {n_train / 1e6:.2f}M trainable parameters")
        stage_out = os.path.join(args.out, f"stage{s}")

        def loss_fn(step, net):
            rows, mask = rows_at(step + 100_000 * s)
            weight = args.answer_weight if s == 2 else 0.0
            return distill_loss(net, teacher, rows, mask, weight, args.kl_chunk_tokens or None), rows[:, 1:].numel()

        warmup = min(100, steps // 10) if steps else 100    # a time-sized schedule (steps 0) warms up too
        summary = train(student, loss_fn, out=stage_out, total_steps=steps, peak_lr=lr, warmup=warmup,
                        minutes=max(0.0, (deadline - time.time()) / 60 * (args.stage1_share if s == 1 else 1)),
                        weight_decay=0.0, plan_minutes=_plan(args, s),
                        extra={"stage": f"continual-{s}", **variant})
        summaries[s] = {k: v for k, v in summary.items() if k != "history"}
        # done: at its schedule's end; a time-sized stage planned for this run's box alone is done when the box
        # ends (stage 1 then leaves the rest to stage 2), one planned past it (--plan-minutes) only at its end
        done = summary["step"] >= summary["total_steps"] or (steps == 0 and not args.plan_minutes)
        if distributed.is_main():
            checkpoint.save(args.out, student, extra={"stage_index": s + 1 if done else s, **variant,
                                                      "source_checkpoint": args.dense, "summaries": summaries})
        distributed.barrier()
        if not done:
            distributed.log(f"stage {s} stopped at step {summary['step']}/{steps} (time box); run again to resume")
            break
    if tasks is not None:
        tasks.close()
    distributed.log(json.dumps(summaries))
    distributed.finish()


if __name__ == "__main__":
    main()
