"""Epoch loop, checkpoints, exact resume and fail-safe retries, independent of what one epoch does.

Why this matters: ATOM-style training runs for days. A run that is killed (pre-emption, OOM, Ctrl-C) must continue
*exactly* where it stopped, which needs more than the weights: optimizer state (Adam moments), scheduler state,
stats history and the random generators. The data stream itself is a function of ``(seed, epoch, index)`` (see
:mod:`ltr.data.sampler`), and the trainer tells each loader which epoch it is (``loader.set_epoch``) and restores the
loaders' own generators, so a resumed epoch sees the same batches as an uninterrupted run.

Checkpoints go to ``<workspace>/checkpoints/ltr/<module>/<name>/<NetType>_ep%04d.pth.tar`` (format in
:mod:`ltr.admin.checkpoint`), written atomically by rank 0 only.
"""

from __future__ import annotations

import copy
import logging
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ltr.admin.atomic_io import remove_stale_temp_files
from ltr.admin.checkpoint import (
    CheckpointError,
    checkpoint_path,
    list_checkpoints,
    load_checkpoint,
    make_checkpoint,
    prune_checkpoints,
    restore_rng_state,
    save_checkpoint,
    unwrap_network,
)
from ltr.admin.distributed import DistInfo
from ltr.admin.errors import DeviceError, UserError
from ltr.admin.settings import Settings

__all__ = ["BaseTrainer", "resolve_device", "is_retryable", "NON_RETRYABLE_ERRORS"]

logger = logging.getLogger("ltr.trainers")


#: Errors the fail-safe never retries: a retry replays the same configuration on the same file system, so these would
#: fail again (after wasting an epoch). Transient failures (CUDA/NCCL runtime errors, I/O hiccups, a data-loader worker
#: killed by the OOM killer) stay retryable.
NON_RETRYABLE_ERRORS: tuple[type[BaseException], ...] = (
    UserError, NotADirectoryError, IsADirectoryError, FileExistsError, PermissionError, FileNotFoundError,
    ValueError, TypeError, KeyError, AttributeError, ImportError, NameError, SyntaxError, NotImplementedError,
)


def is_retryable(exc: BaseException) -> bool:
    """Whether the fail-safe may retry an epoch that raised ``exc`` (see :data:`NON_RETRYABLE_ERRORS`)."""
    return not isinstance(exc, NON_RETRYABLE_ERRORS)


def resolve_device(preference: str | torch.device = "auto", dist_info: DistInfo | None = None) -> torch.device:
    """``'auto'``: CUDA (``cuda:<local_rank>``) when available, else CPU.

    Raises :class:`DeviceError` (one message, no traceback from the CLIs) for a device name torch does not know,
    CUDA on a machine without it, or a CUDA index this machine does not have.
    """
    pref = str(preference)
    local = dist_info.local_rank if dist_info is not None else 0
    if pref == "auto":
        return torch.device(f"cuda:{local}") if torch.cuda.is_available() else torch.device("cpu")
    try:
        dev = torch.device(pref)
    except (RuntimeError, ValueError):
        raise DeviceError(f"--device {pref!r}: not a device name; use auto, cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"--device {pref!r}: CUDA is not available on this machine; use --device cpu or auto")
        if dev.index is None:
            dev = torch.device(f"cuda:{local}")
        count = torch.cuda.device_count()
        if dev.index >= count:
            raise DeviceError(f"--device {pref!r}: this machine has {count} CUDA device(s) (cuda:0 .. "
                              f"cuda:{count - 1}); use one of them, or --device cpu / auto")
    elif dev.type not in ("cpu", "mps", "xpu", "meta"):
        raise DeviceError(f"--device {pref!r}: unsupported device type '{dev.type}'; use auto, cpu, cuda or cuda:N")
    return dev


def _free_name(path: Path) -> Path:
    """``path``, or ``path.1``, ``path.2``, ... : the first name not taken."""
    candidate, n = path, 0
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.{n}")
    return candidate


class BaseTrainer:
    """Owns the epoch loop; subclasses implement :meth:`train_epoch`.

    Args:
        actor: :class:`ltr.actors.BaseActor` (its ``net`` is moved to the device and wrapped in DDP when distributed).
        loaders: loaders with ``name``, ``training``, ``epoch_interval`` (e.g. :class:`ltr.data.loader.LTRLoader`).
        optimizer: over the trainable parameters.
        settings: :class:`ltr.admin.settings.Settings` (device, dist, checkpoint policy, paths).
        lr_scheduler: stepped once per epoch (optional).
    """

    def __init__(self, actor: Any, loaders: Sequence[Any], optimizer: torch.optim.Optimizer, settings: Settings,
                 lr_scheduler: Any = None) -> None:
        self.actor = actor
        self.loaders = list(loaders)
        self.optimizer = optimizer
        self.settings = settings
        self.lr_scheduler = lr_scheduler
        self.dist: DistInfo = settings.dist
        self.device = resolve_device(settings.device, self.dist)
        self.actor.to(self.device)
        if self.dist.enabled and not isinstance(self.actor.net, nn.parallel.DistributedDataParallel):
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.actor.net = nn.parallel.DistributedDataParallel(self.actor.net, device_ids=ids)
        self.epoch = 0
        self.stats_history: dict[str, dict[str, dict[int, float]]] = {}
        # Base seed of each loader's own generator (shuffle order, worker seeds); re-seeded per epoch from it so the
        # stream is a function of (loader seed, epoch) on every rank, also after a resume.
        self._loader_base_seeds = {ld.name: ld.generator.initial_seed() for ld in self.loaders
                                   if isinstance(getattr(ld, "generator", None), torch.Generator)}
        self.max_retries = int(settings.fail_safe_max_retries)
        self._unreadable_checkpoints: set[Path] = set()

    # ------------------------------------------------------------------ properties
    @property
    def net(self) -> nn.Module:
        """The bare network (without DDP wrapper)."""
        return unwrap_network(self.actor.net)

    @property
    def net_type(self) -> str:
        return type(self.net).__name__

    @property
    def is_main(self) -> bool:
        return self.dist.is_main

    @property
    def checkpoint_dir(self) -> Path:
        override = self.settings.checkpoint_dir_override
        return Path(override) if override else Path(self.settings.checkpoint_dir)

    # ------------------------------------------------------------------ loop
    def train_epoch(self) -> None:
        raise NotImplementedError

    def train(self, max_epochs: int, load_latest: bool = True, fail_safe: bool = True) -> None:
        """Train until ``max_epochs`` epochs are complete.

        ``load_latest`` resumes from the newest checkpoint of this setup. With ``fail_safe``, an exception inside an
        epoch is logged with its traceback, the latest checkpoint (or the state at the start of this call) is
        restored and the epoch retried, at most ``settings.fail_safe_max_retries`` times; then it is re-raised.
        KeyboardInterrupt and SystemExit are never caught.
        """
        if self.is_main:
            remove_stale_temp_files(self.checkpoint_dir, logger.warning)  # left by a kill during a checkpoint write
        if load_latest:
            self.load_checkpoint()
        start_snapshot = self._snapshot() if fail_safe else None
        retries = 0
        while True:
            try:
                for epoch in range(self.epoch + 1, max_epochs + 1):
                    self.epoch = epoch
                    self.train_epoch()
                    if self.lr_scheduler is not None:
                        self.lr_scheduler.step()
                    self.save_checkpoint()
                break
            except Exception as exc:
                if not fail_safe or retries >= self.max_retries:
                    raise
                if not is_retryable(exc):
                    logger.error("Training epoch %d failed with %s, which a retry cannot fix (configuration or "
                                 "file-system layout); not retrying", self.epoch, type(exc).__name__)
                    raise
                retries += 1
                logger.error("Training epoch %d failed (retry %d of %d):\n%s", self.epoch, retries,
                             self.max_retries, traceback.format_exc())
                if not self.load_checkpoint():
                    self._restore_snapshot(start_snapshot)
        if self.is_main:
            logger.info("Finished training after %d epochs", self.epoch)

    # ------------------------------------------------------------------ data stream
    def prepare_loader(self, loader: Any) -> None:
        """Point ``loader`` at the current epoch: ``set_epoch`` (sampler draws) and its generator re-seeded from
        (base seed, epoch), so a resumed run (on any rank) sees exactly the batches an uninterrupted one would."""
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(self.epoch)
        base = self._loader_base_seeds.get(loader.name)
        if base is not None:
            loader.generator.manual_seed((base * 1_000_003 + self.epoch) % (2**63))

    # ------------------------------------------------------------------ state
    def _loader_states(self) -> dict[str, Any]:
        return {name: {"base_seed": seed} for name, seed in self._loader_base_seeds.items()}

    def _snapshot(self) -> dict[str, Any]:
        """In-memory copy of everything a checkpoint holds (used when a failure happens before the first one)."""
        return copy.deepcopy(self._checkpoint_state())

    def _restore_snapshot(self, snap: dict[str, Any] | None) -> None:
        if snap is None:
            return
        self._apply_state(snap)

    def _checkpoint_state(self) -> dict[str, Any]:
        return make_checkpoint(self.net, self.epoch, optimizer=self.optimizer, lr_scheduler=self.lr_scheduler,
                               stats=self.stats_history, settings=self.settings,
                               extra={"loaders": self._loader_states()}, actor_type=type(self.actor).__name__)

    def save_checkpoint(self) -> Path | None:
        """Write the checkpoint of the current (completed) epoch; rank 0 only. Prunes per settings."""
        if not self.is_main:
            return None
        path = checkpoint_path(self.checkpoint_dir, self.net_type, self.epoch)
        if path in self._unreadable_checkpoints and path.exists():
            kept = _free_name(path.with_name(path.name + ".unreadable"))
            path.rename(kept)  # never overwrite (or delete) the damaged file: move it out of the way, keep it
            logger.warning("Moved the unreadable checkpoint %s to %s before writing epoch %d again", path, kept,
                           self.epoch)
        save_checkpoint(self._checkpoint_state(), path)
        prune_checkpoints(self.checkpoint_dir, self.net_type, self.settings.checkpoint_keep_last,
                          self.settings.checkpoint_keep_epochs)
        return path

    def load_checkpoint(self, checkpoint: str | Path | int | None = None) -> bool:
        """Restore from ``checkpoint`` (path, epoch number, or None = latest of this setup). False if none exists."""
        if checkpoint is None:
            return self._load_newest_readable()
        if isinstance(checkpoint, int):
            path = checkpoint_path(self.checkpoint_dir, self.net_type, checkpoint)
        else:
            path = Path(checkpoint)
        self._load_path(path)
        return True

    def _load_path(self, path: Path) -> None:
        state = load_checkpoint(path, map_location="cpu")
        if state.get("net_type") != self.net_type:
            raise CheckpointError(f"{path} holds a {state.get('net_type')}, this trainer trains a {self.net_type}")
        self._apply_state(state)
        if self.is_main:
            logger.info("Resumed from %s (epoch %d)", path, self.epoch)

    def _load_newest_readable(self) -> bool:
        """Resume from the newest checkpoint that loads; older ones are tried when newer ones are unreadable
        (truncated, damaged, NaN weights), each skip is logged with its reason, and no file is deleted or changed.
        False when there is no checkpoint; CheckpointError when none of them is readable."""
        found = list_checkpoints(self.checkpoint_dir, self.net_type)
        skipped: list[tuple[Path, str]] = []
        for _, path in reversed(found):
            try:
                self._load_path(path)
            except CheckpointError as exc:
                skipped.append((path, str(exc)))
                self._unreadable_checkpoints.add(path)
                logger.warning("Checkpoint %s is unreadable, trying an older one: %s", path, exc)
                continue
            if skipped and self.is_main:
                logger.warning("Resumed from %s (epoch %d), the newest readable checkpoint; skipped %d unreadable "
                               "newer one(s): %s. They are kept as they are (moved aside to *.unreadable only when "
                               "their epoch is written again).", path, self.epoch, len(skipped),
                               ", ".join(str(p) for p, _ in skipped))
            return True
        if skipped:
            raise CheckpointError(f"none of the {len(skipped)} checkpoints in {self.checkpoint_dir} is readable "
                                  f"(newest: {skipped[0][1]}); move them elsewhere to start from scratch")
        return False

    def _apply_state(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        if state.get("optimizer") is not None:
            self.optimizer.load_state_dict(state["optimizer"])
        if self.lr_scheduler is not None and state.get("lr_scheduler") is not None:
            self.lr_scheduler.load_state_dict(state["lr_scheduler"])
        self.epoch = int(state["epoch"])
        self.stats_history = copy.deepcopy(state.get("stats") or {})
        if state.get("rng_state"):
            restore_rng_state(state["rng_state"])
