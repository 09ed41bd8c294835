"""The training loop shared by pre-training and continual training: AdamW, linear warm-up then
cosine decay to 10%, bf16 autocast on CUDA, gradient clipping, time-boxed runs that checkpoint and
resume (the GPU machine allows 10 minutes a command)."""
from __future__ import annotations

import math
import time
from typing import Callable

import torch

from . import checkpoint

CALIBRATION_STEPS = 20


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


def train(model, loss_fn: Callable[[int], torch.Tensor], *, out: str, total_steps: int, peak_lr: float,
          warmup: int, minutes: float, weight_decay: float = 0.1,
          save_every_s: float = 120.0, extra: dict | None = None) -> dict:
    """Runs steps until `total_steps` or `minutes` pass; resumes from `out`'s train.pt if present.
    `loss_fn(step)` returns (loss, tokens) of one batch. total_steps <= 0 sizes the schedule to the
    time box: the speed of the first CALIBRATION_STEPS steps decides it (and it is kept on resume).
    Returns a summary dict."""
    device = next(model.parameters()).device
    opt = make_optimizer(model.parameters(), peak_lr, weight_decay)
    state = checkpoint.train_state(out)
    step, tokens_seen, history = 0, 0, []
    if state is not None:
        opt.load_state_dict(state["optimizer"])
        step, tokens_seen, history = state["step"], state.get("tokens_seen", 0), state.get("history", [])
        total_steps = state.get("total_steps", total_steps)
        print(f"resumed at step {step}/{total_steps}", flush=True)
    calibrate = total_steps <= 0
    if calibrate:
        total_steps = 10 ** 9
    log_every = 50 if calibrate else max(1, min(50, total_steps // 10))
    use_bf16 = device.type == "cuda"
    deadline = time.time() + minutes * 60
    last_save = time.time()
    t0, loss_acc, n_acc = time.time(), 0.0, 0

    def snapshot():
        checkpoint.save(out, model, extra={**(extra or {}), "step": step, "tokens_seen": tokens_seen},
                        train_state={"optimizer": opt.state_dict(), "step": step, "total_steps": total_steps,
                                     "tokens_seen": tokens_seen, "history": history})

    model.train()
    start_step, start_time = step, time.time()
    while step < total_steps and time.time() < deadline:
        if calibrate and step == start_step + CALIBRATION_STEPS:
            per_step = (time.time() - start_time) / CALIBRATION_STEPS
            total_steps = step + int((deadline - time.time()) / per_step * 0.97)
            calibrate = False
            print(f"{per_step * 1000:.0f} ms/step: schedule set to {total_steps} steps", flush=True)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, total_steps, peak_lr, warmup)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_bf16):
            loss, n_tok = loss_fn(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        opt.step()
        step += 1
        tokens_seen += n_tok
        loss_acc += float(loss.detach())
        n_acc += 1
        if step % log_every == 0 or step == total_steps:
            rate = n_acc and tokens_seen and n_tok * n_acc / (time.time() - t0)
            history.append({"step": step, "loss": loss_acc / n_acc})
            print(f"step {step}/{total_steps} loss {loss_acc / n_acc:.4f} lr {opt.param_groups[0]['lr']:.2e} "
                  f"{rate / 1e3:.0f}k tok/s", flush=True)
            t0, loss_acc, n_acc = time.time(), 0.0, 0
        if time.time() - last_save > save_every_s:
            snapshot()
            last_save = time.time()
    snapshot()
    return {"step": step, "total_steps": total_steps, "tokens_seen": tokens_seen, "history": history}
