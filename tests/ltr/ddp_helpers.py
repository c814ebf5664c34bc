"""Shared pieces of the two-process DistributedDataParallel tests (gloo on CPU, one thread per process)."""

from __future__ import annotations

import os
import socket

import torch


def free_port() -> int:
    """A TCP port free on localhost now, for the process group's rendezvous."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def become_rank(rank: int, world: int, port: int) -> None:
    """Set the environment ``torchrun`` would give process ``rank`` of ``world`` and use one intra-op thread."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
