"""Run a training setup through DistributedDataParallel with a single process (for ``benchmarks/device_check.sh``).

Why: ``ltr/run_training.py`` turns DDP on only when ``WORLD_SIZE`` > 1, so on a machine with one GPU a plain
``torchrun --nproc_per_node=1`` never reaches NCCL. This wrapper marks the one torchrun rank as distributed; the
project's own ``init_distributed`` then picks the backend (NCCL on CUDA, gloo on CPU) and the trainer wraps the
network in DDP, exactly as with N ranks. It prints the backend, the DDP wrapping, whether mixed precision ran and
each epoch's training loss, and exits non-zero when any of them is not what was asked for.

Usage (same arguments as ``run_training.py``, plus ``--amp`` to set ``settings.amp = True`` for setups that have it,
e.g. ``ostrack/ostrack_synthetic``)::

    torchrun --nproc_per_node=1 benchmarks/ddp_one_rank.py [--amp] ostrack ostrack_synthetic --device cuda \\
        --epochs 1 --samples-per-epoch 32 --batch-size 8 --workers 0 --workspace /tmp/ws
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import sys
from collections.abc import Mapping
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402

import ltr.admin.distributed as distributed  # noqa: E402
import ltr.run_training as run_training  # noqa: E402

_dist_info_from_env = distributed.dist_info_from_env
_init_distributed = distributed.init_distributed
_seen: dict[str, str] = {}


def _forced_dist_info(environ: Mapping[str, str] | None = None) -> distributed.DistInfo:
    """The environment's rank info, distributed even with WORLD_SIZE 1 when started by torchrun (RANK set)."""
    info = _dist_info_from_env(environ)
    env = os.environ if environ is None else environ
    return dataclasses.replace(info, enabled=True) if "RANK" in env else info


def _init_and_report(device: torch.device, environ: Mapping[str, str] | None = None) -> distributed.DistInfo:
    info = _init_distributed(device, environ)
    if dist.is_initialized():
        _seen["backend"] = str(dist.get_backend())
        print(f"ddp_one_rank: process group backend={_seen['backend']} world_size={dist.get_world_size()} "
              f"rank={dist.get_rank()} device={device}", flush=True)
    return info


def main(argv: list[str]) -> int:
    amp = "--amp" in argv
    argv = [a for a in argv if a != "--amp"]
    if "RANK" not in os.environ:
        print("ddp_one_rank: start me with torchrun --nproc_per_node=1 (RANK is not set)", file=sys.stderr)
        return 2
    distributed.dist_info_from_env = _forced_dist_info
    run_training.dist_info_from_env = _forced_dist_info
    run_training.init_distributed = _init_and_report
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = run_training.build_parser().parse_args(argv)
    settings = run_training.make_settings(args)
    if amp:
        settings.amp = True
    trainer = run_training.run_training(settings)
    wrapped = isinstance(getattr(trainer.actor, "net", None), torch.nn.parallel.DistributedDataParallel)
    ran_amp = bool(getattr(trainer, "amp", False))
    losses = {epoch: value for name, stats in trainer.stats_history.get("train", {}).items() if name == "Loss/total"
              for epoch, value in stats.items()}
    print(f"ddp_one_rank: net wrapped in DDP={wrapped} amp={ran_amp} (asked {amp}) epochs run={trainer.epoch} "
          f"train stats={ {k: sorted(v.items()) for k, v in trainer.stats_history.get('train', {}).items()} }",
          flush=True)
    expected_backend = "nccl" if trainer.device.type == "cuda" else "gloo"
    problems = []
    if _seen.get("backend") != expected_backend:
        problems.append(f"backend {_seen.get('backend')} (expected {expected_backend})")
    if not wrapped:
        problems.append("network not wrapped in DistributedDataParallel")
    if amp != ran_amp:
        problems.append(f"amp asked {amp} but the trainer ran with amp={ran_amp}")
    if any(not math.isfinite(v) for v in losses.values()):
        problems.append(f"non-finite training loss: {losses}")
    if problems:
        print("ddp_one_rank: FAILED: " + "; ".join(problems), flush=True)
        return 1
    print(f"ddp_one_rank: OK ({expected_backend}, DDP, amp={ran_amp})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
