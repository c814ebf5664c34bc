"""Command line entry point: ``python ltr/run_training.py <module> <name> [overrides]``.

Imports ``ltr.train_settings.<module>.<name>`` and calls its ``run(settings)`` with a
:class:`ltr.admin.settings.Settings` carrying the path settings (``env_settings()``), device, seed, distributed
info and the command-line overrides.
Works as a script (the package is installed editable, so ``ltr`` imports from anywhere), as ``python -m
ltr.run_training`` and under ``torchrun --nproc_per_node=N ltr/run_training.py ...`` (DistributedDataParallel;
gloo on CPU, NCCL on CUDA; only rank 0 writes checkpoints, logs and TensorBoard).

Exit codes: 0 done, 2 setup problem (missing dataset paths, weights, bad arguments; printed as one list), 130 Ctrl-C.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import random
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ltr.admin.cli import cli_main
from ltr.admin.distributed import cleanup_distributed, dist_info_from_env, init_distributed
from ltr.admin.environment import env_settings
from ltr.admin.output_dirs import ensure_output_dir
from ltr.admin.settings import Settings

__all__ = ["main", "build_parser", "make_settings", "run_training", "seed_global_rngs"]

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run_training", description="Train a network with an ltr train-settings module.")
    p.add_argument("train_module", help="sub-package of ltr/train_settings, e.g. bbreg")
    p.add_argument("train_name", help="settings module inside it, e.g. atom or atom_synthetic")
    p.add_argument("--epochs", type=int, help="number of epochs (total; a resumed run continues up to it)")
    p.add_argument("--batch-size", type=int, help="batch size per process")
    p.add_argument("--workers", type=int, help="data loader worker processes per process")
    p.add_argument("--samples-per-epoch", type=int, help="training samples per epoch per process")
    p.add_argument("--datasets", help="comma-separated training datasets, e.g. lasot,got10k,trackingnet,coco")
    p.add_argument("--device", default="auto", help="auto (CUDA if available, else CPU), cpu, cuda or cuda:N")
    p.add_argument("--seed", type=int, default=0, help="run seed (per-rank streams are derived from it)")
    p.add_argument("--workspace", help="workspace folder (overrides the workspace_dir setting)")
    p.add_argument("--no-pretrained", action="store_true", help="random backbone instead of ImageNet weights")
    p.add_argument("--keep-last", type=int, default=None, metavar="N",
                   help="keep only the newest N checkpoints (default: every epoch's)")
    p.add_argument("--visdom", action="store_true", help="also show loss and learning rate live in visdom")
    p.add_argument("--visdom-server", default="127.0.0.1", help="visdom host for --visdom (default 127.0.0.1)")
    p.add_argument("--visdom-port", type=int, default=8097, help="visdom port for --visdom (default 8097)")
    return p


def make_settings(args: argparse.Namespace) -> Settings:
    """Settings for one run from parsed arguments (reads path settings, env var > local.py > default)."""
    environ: dict[str, str] | None = None
    if args.workspace:
        environ = {**os.environ, "LTR_WORKSPACE_DIR": os.path.abspath(args.workspace)}
    env = env_settings(environ=environ)
    overrides: dict[str, Any] = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "workers": args.workers,
        "samples_per_epoch": args.samples_per_epoch,
        "datasets": [d.strip() for d in args.datasets.split(",") if d.strip()] if args.datasets else None,
        "pretrained": False if args.no_pretrained else None,
    }
    return Settings(module_name=args.train_module, script_name=args.train_name, env=env, device=args.device,
                    seed=args.seed, checkpoint_keep_last=getattr(args, "keep_last", None),
                    overrides={k: v for k, v in overrides.items() if v is not None},
                    dist=dist_info_from_env(),
                    visdom={"server": args.visdom_server, "port": args.visdom_port} if getattr(args, "visdom", False)
                    else None)


def seed_global_rngs(seed: int) -> None:
    """Seed python/numpy/torch global generators so network initialisation (and anything else drawing from them) is
    reproducible from the run seed. Same on every rank; DDP broadcasts rank 0's initial weights anyway."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - global state only for third-party code; ours uses explicit generators
    torch.manual_seed(seed)


def available_train_settings() -> list[str]:
    """``'<module>/<name>'`` of every runnable setup under ``ltr/train_settings`` (for "unknown name" messages)."""
    root = Path(__file__).resolve().parent / "train_settings"
    return sorted(f"{f.parent.name}/{f.stem}" for f in root.glob("*/*.py")
                  if not f.stem.startswith("_") and "def run(" in f.read_text(encoding="utf-8", errors="replace"))


def run_training(settings: Settings) -> Any:
    """Import the train-settings module and run it (initialising the process group under torchrun)."""
    for part in (settings.module_name, settings.script_name):
        if not _NAME_RE.match(part):
            raise ValueError(f"invalid train settings name {part!r} (letters, digits and '_' only)")
    from ltr.trainers.base_trainer import resolve_device

    device = resolve_device(settings.device, settings.dist)  # a missing device is reported before anything runs
    module_name = f"ltr.train_settings.{settings.module_name}.{settings.script_name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ValueError(f"no train settings '{settings.module_name}/{settings.script_name}' (expected module "
                             f"{module_name}); available: {', '.join(available_train_settings()) or 'none'}") from exc
        raise
    if not hasattr(module, "run"):
        raise ValueError(f"{module_name} has no run(settings) function")
    if settings.dist is None or settings.dist.is_main:
        ensure_output_dir(settings.checkpoint_dir, "workspace_dir (--workspace / LTR_WORKSPACE_DIR)", create=False)
        if getattr(settings.env, "tensorboard_dir", None):
            ensure_output_dir(settings.tensorboard_dir, "tensorboard_dir (LTR_TENSORBOARD_DIR)", create=False)

    settings.dist = init_distributed(device)
    seed_global_rngs(int(settings.seed))
    try:
        return module.run(settings)
    finally:
        cleanup_distributed()


@cli_main("run_training")
def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and train. Errors a user can fix (settings, arguments, data, device, checkpoints) are printed as
    one message with exit code 2 by :func:`ltr.admin.cli.cli_main` (``--traceback`` shows the traceback)."""
    args = build_parser().parse_args(argv)
    rank = dist_info_from_env().rank
    logging.basicConfig(level=logging.INFO if rank == 0 else logging.WARNING,
                        format=f"%(asctime)s [rank {rank}] %(levelname)s %(name)s: %(message)s")
    try:
        settings = make_settings(args)
        if rank == 0:
            print(f"Training: {settings.project_path} (device {settings.device}, seed {settings.seed})", flush=True)
        run_training(settings)
    except KeyboardInterrupt:
        print("Interrupted; the last completed epoch's checkpoint is intact - rerun the same command to resume.",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
