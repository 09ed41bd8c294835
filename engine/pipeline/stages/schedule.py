"""The training loop shared by pre-training and continual training: AdamW, linear warm-up then
cosine decay to 10%, bf16 autocast on CUDA, gradient clipping, time-boxed runs that checkpoint and
resume (the GPU machine allows 10 minutes a command). Under torchrun, data-parallel over the GPUs
with DistributedDataParallel (distributed.py): rank 0 decides the schedule, the stop and the saves."""
from __future__ import annotations

import math
import time
from typing import Callable

import torch

from . import checkpoint, distributed

CALIBRATION_STEPS = 20
# Steps left out of the calibration: the first ones pay for CUDA kernels loading, the allocator growing and
# the data workers filling their queues (2026-12-06, H100: 245 ms/step measured with them, 155 ms/step run,
# so a 9-minute box trained for 5.75 minutes).
CALIBRATION_SKIP = 5


def lr_at(step: int, total: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def make_optimizer(params, lr: float, weight_decay: float):
    params = [p for p in params if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    kwargs = {"lr": lr, "betas": (0.9, 0.95)}
    if torch.cuda.is_available() and "fused" in torch.optim.AdamW.__init__.__code__.co_varnames:
        kwargs["fused"] = True
    return torch.optim.AdamW(groups, **kwargs)


def train(model, loss_fn: Callable[[int, torch.nn.Module], tuple], *, out: str, total_steps: int, peak_lr: float,
          warmup: int, minutes: float, weight_decay: float = 0.1, plan_minutes: float | None = None,
          save_every_s: float = 120.0, extra: dict | None = None, compile: bool = False) -> dict:
    """Runs steps until `total_steps` or `minutes` pass; resumes from `out`'s train.pt if present.
    `loss_fn(step, net)` returns (loss, tokens) of this rank's batch, running forward passes through
    `net`: `model` itself, or its DDP wrapper under torchrun (made here, after the caller chose what
    requires grad; a frozen teacher stays outside), torch.compile'd with `compile`.
    total_steps <= 0 sizes the schedule to the time box: the speed of the first CALIBRATION_STEPS
    steps after the first CALIBRATION_SKIP decides it (and it is kept on resume). `plan_minutes` (> minutes)
    sizes that schedule for a longer box than this run's, to be finished by runs that resume it (a GPU
    command lasts at most 10 minutes; one long schedule anneals once). Several ranks: rank 0's clock decides the schedule,
    the stop and the saves, broadcast to all before each step so that none waits alone in a
    collective; rank 0 alone prints and writes `out` (the others wait at a barrier); tokens_seen and
    the logged loss count every rank. Returns a summary dict (the same on every rank)."""
    device = next(model.parameters()).device
    net = distributed.wrap(model)
    if compile:
        net = torch.compile(net)
    world = distributed.world()
    opt = make_optimizer(model.parameters(), peak_lr, weight_decay)
    state = checkpoint.train_state(out)
    step, tokens_seen, history = 0, 0, []
    if state is not None:
        opt.load_state_dict(state["optimizer"])
        step, tokens_seen, history = state["step"], state.get("tokens_seen", 0), state.get("history", [])
        total_steps = state.get("total_steps", total_steps)
        distributed.log(f"resumed at step {step}/{total_steps}")
    calibrate = total_steps <= 0
    if calibrate:
        total_steps = 10 ** 9
    log_every = 50 if calibrate else max(1, min(50, total_steps // 10))
    use_bf16 = device.type == "cuda"
    deadline = time.time() + minutes * 60
    plan_deadline = time.time() + max(minutes, plan_minutes or 0.0) * 60
    last_save = time.time()
    t0, loss_acc, n_acc = time.time(), 0.0, 0

    def snapshot():
        if distributed.is_main():
            checkpoint.save(out, model, extra={**(extra or {}), "step": step, "tokens_seen": tokens_seen},
                            train_state={"optimizer": opt.state_dict(), "step": step,
                                         "total_steps": 0 if calibrate else total_steps,  # 0: resume calibrates
                                         "tokens_seen": tokens_seen, "history": history})
        distributed.barrier()

    model.train()
    calibrated_at = step + CALIBRATION_SKIP + CALIBRATION_STEPS
    calibration_start = time.time()
    while True:
        stop = save = False
        if distributed.is_main():
            if calibrate and step == calibrated_at - CALIBRATION_STEPS:
                calibration_start = time.time()
            if calibrate and step == calibrated_at:
                per_step = (time.time() - calibration_start) / CALIBRATION_STEPS
                total_steps = step + int((plan_deadline - time.time()) / per_step * 0.97)
                print(f"{per_step * 1000:.0f} ms/step: schedule set to {total_steps} steps", flush=True)
            now = time.time()
            stop = step >= total_steps or now >= deadline
            save = not stop and now - last_save > save_every_s
        stop, save, total_steps = distributed.broadcast_ints([stop, save, total_steps])
        if calibrate and step == calibrated_at:
            calibrate = False
        if save:
            snapshot()
            last_save = time.time()
        if stop:
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(step, total_steps, peak_lr, warmup)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_bf16):
            loss, n_tok = loss_fn(step, net)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        opt.step()
        step += 1
        tokens_seen += n_tok * world          # every rank's batch has the same shape
        loss_acc += float(loss.detach())
        n_acc += 1
        if step % log_every == 0 or step == total_steps:
            mean_loss = distributed.mean(loss_acc / n_acc)
            rate = n_tok * n_acc * world / (time.time() - t0)
            history.append({"step": step, "loss": mean_loss})
            distributed.log(f"step {step}/{total_steps} loss {mean_loss:.4f} lr {opt.param_groups[0]['lr']:.2e} "
                            f"{rate / 1e3:.0f}k tok/s")
            t0, loss_acc, n_acc = time.time(), 0.0, 0
    snapshot()
    del net
    return {"step": step, "total_steps": total_steps, "tokens_seen": tokens_seen, "history": history}
