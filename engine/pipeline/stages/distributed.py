"""Training on several GPUs: data parallelism with PyTorch's own torch.distributed and
DistributedDataParallel (DDP), one process per GPU, started by torchrun:

    torchrun --nproc_per_node 4 -m engine.pipeline.stages.pretrain --data DIR --out CKPT ...

torchrun sets WORLD_SIZE, RANK and LOCAL_RANK (and MASTER_ADDR/MASTER_PORT); setup() reads them,
joins the process group (NCCL on CUDA, gloo on CPU) and returns this process's device, cuda:LOCAL_RANK.
Each rank trains on its own slice of every batch (data.Batches, taskdata.TaskBatches), DDP averages
the gradients, rank 0 alone prints and writes checkpoints (schedule.train).

Without torchrun, or with one process, no process group is made and every function here is a no-op
(rank 0 of 1), so a single-device run is exactly what it was. Works on torch 1.13 and 2.x.
"""
from __future__ import annotations

import datetime
import os
from typing import List

import torch
import torch.distributed as dist


# how long a rank waits in a collective for the others (rank 0 writing a large checkpoint, a slow
# first batch of generated task rows) before the run fails instead of hanging
TIMEOUT = datetime.timedelta(minutes=30)


def setup() -> torch.device:
    """Joins torchrun's process group when there is one (idempotent); returns the device to train on."""
    world_env = int(os.environ.get("WORLD_SIZE", "1"))
    if world_env > 1 and not active():
        if not dist.is_available():
            raise RuntimeError("WORLD_SIZE > 1 but this torch has no torch.distributed")
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if torch.cuda.is_available():
            if local >= torch.cuda.device_count():
                raise RuntimeError(f"LOCAL_RANK {local} but only {torch.cuda.device_count()} GPUs are visible: "
                                   "--nproc_per_node must not exceed the GPUs of this machine")
            torch.cuda.set_device(local)
            dist.init_process_group("nccl", timeout=TIMEOUT)
        else:
            dist.init_process_group("gloo", timeout=TIMEOUT)
    if active() and torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def active() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if active() else 0


def world() -> int:
    return dist.get_world_size() if active() else 1


def is_main() -> bool:
    return rank() == 0


def log(*args) -> None:
    """print, on rank 0 only"""
    if is_main():
        print(*args, flush=True)


def _comm_device() -> torch.device:
    return torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")


def barrier() -> None:
    if active():
        if dist.get_backend() == "nccl":
            dist.barrier(device_ids=[torch.cuda.current_device()])
        else:
            dist.barrier()


def broadcast_ints(values: List[int]) -> List[int]:
    """rank 0's values, on every rank (decisions that all ranks must take alike)"""
    if not active():
        return [int(v) for v in values]
    t = torch.tensor([int(v) for v in values], dtype=torch.int64, device=_comm_device())
    dist.broadcast(t, 0)
    return [int(v) for v in t.tolist()]


def mean(value: float) -> float:
    """the mean of `value` over all ranks"""
    if not active():
        return float(value)
    t = torch.tensor([float(value)], dtype=torch.float64, device=_comm_device())
    dist.all_reduce(t)
    return float(t.item()) / world()


def wrap(model: torch.nn.Module) -> torch.nn.Module:
    """The module to run forward passes through: DDP around `model` when distributed, else `model`.
    DDP registers only the parameters that require grad at this moment (so call it after choosing
    what trains; a new choice needs a new wrapper) and needs every one of them used in each forward
    (find_unused_parameters=False: no extra graph walk). It copies rank 0's weights to all ranks."""
    if not active():
        return model
    from torch.nn.parallel import DistributedDataParallel as DDP
    dev = next(model.parameters()).device
    return DDP(model, device_ids=[dev.index] if dev.type == "cuda" else None,
               broadcast_buffers=False, find_unused_parameters=False)


def finish() -> None:
    """Leaves the process group (end of a stage's main)."""
    if active():
        barrier()
        dist.destroy_process_group()
