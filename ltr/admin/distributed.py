"""Multi-process (DistributedDataParallel) helpers, driven by the environment ``torchrun`` sets up.

Why here: the trainer and ``run_training`` must behave identically with one process and with N, so every
rank-dependent decision (device, sampler seed, who writes files) goes through :class:`DistInfo`.

Conventions: ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` (and ``MASTER_ADDR``/``MASTER_PORT``) come from ``torchrun``;
backend is NCCL when training on CUDA, gloo otherwise; only rank 0 writes checkpoints, logs and TensorBoard.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = ["DistInfo", "dist_info_from_env", "init_distributed", "cleanup_distributed", "barrier",
           "all_reduce_mean", "collective_device"]


@dataclass(frozen=True)
class DistInfo:
    """Where this process sits in the job. ``enabled`` is False for plain single-process runs."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    enabled: bool = False

    @property
    def is_main(self) -> bool:
        """Only the main process writes files and prints progress."""
        return self.rank == 0


def dist_info_from_env(environ: Mapping[str, str] | None = None) -> DistInfo:
    """Read ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``; distributed when ``WORLD_SIZE`` > 1."""
    env = os.environ if environ is None else environ
    try:
        world = int(env.get("WORLD_SIZE", "1"))
        rank = int(env.get("RANK", "0"))
        local = int(env.get("LOCAL_RANK", str(rank)))
    except ValueError as exc:
        raise ValueError(f"invalid RANK/WORLD_SIZE/LOCAL_RANK environment: {exc}") from exc
    return DistInfo(rank=rank, world_size=world, local_rank=local, enabled=world > 1)


def init_distributed(device: torch.device, environ: Mapping[str, str] | None = None) -> DistInfo:
    """Initialise the default process group when launched with ``WORLD_SIZE`` > 1 (idempotent)."""
    info = dist_info_from_env(environ)
    if not info.enabled:
        return info
    if not dist.is_available():
        raise RuntimeError("WORLD_SIZE > 1 but this PyTorch build has no torch.distributed support")
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, rank=info.rank, world_size=info.world_size)
    return info


def cleanup_distributed() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def barrier() -> None:
    """Synchronise all ranks (no-op without a process group)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def collective_device(backend: str, cuda_index: int | None = None) -> torch.device:
    """Where a tensor must live for a collective of ``backend``: NCCL only reduces CUDA tensors (a CPU tensor fails
    with "No backend type associated with device type cpu"), gloo works on CPU tensors."""
    if str(backend).lower() == "nccl":
        return torch.device("cuda", torch.cuda.current_device() if cuda_index is None else cuda_index)
    return torch.device("cpu")


def all_reduce_mean(value: torch.Tensor) -> torch.Tensor:
    """Mean of ``value`` over ranks (returns ``value`` unchanged without a process group).

    The reduction runs on the device the group's backend needs (epoch statistics are CPU scalars, NCCL wants CUDA
    tensors); the result comes back on ``value``'s device."""
    if not (dist.is_available() and dist.is_initialized()):
        return value
    out = value.detach().to(collective_device(dist.get_backend()), copy=True)
    dist.all_reduce(out, op=dist.ReduceOp.SUM)
    return (out / dist.get_world_size()).to(value.device)
