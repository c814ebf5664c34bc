"""LTRTrainer: one epoch = one pass over each due loader, with stats, console lines, progress bar and TensorBoard."""

from __future__ import annotations

import logging
import sys
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from ltr.admin.distributed import all_reduce_mean
from ltr.admin.settings import Settings
from ltr.admin.stats import AverageMeter
from ltr.admin.tensorboard import TensorboardWriter
from ltr.admin.visdom_logger import visdom_logger_from_settings
from ltr.trainers.base_trainer import BaseTrainer

__all__ = ["LTRTrainer", "format_stats_line"]

logger = logging.getLogger("ltr.trainers")


def format_stats_line(loader_name: str, epoch: int, i: int, n: int, avg_fps: float, cur_fps: float,
                      stats: Mapping[str, float]) -> str:
    """``[train: 3, 10 / 1000] FPS: 52.1 (60.3) , Loss/total: 0.12345 , Loss/iou: 0.12345``."""
    parts = [f"[{loader_name}: {epoch}, {i} / {n}] FPS: {avg_fps:.1f} ({cur_fps:.1f})"]
    parts += [f"{name}: {value:.5f}" for name, value in stats.items()]
    return " , ".join(parts)


def _to_device(data: Any, device: torch.device) -> Any:
    if isinstance(data, torch.Tensor):
        return data.to(device, non_blocking=True)
    if isinstance(data, Mapping):
        return type(data)((k, _to_device(v, device)) for k, v in data.items())
    if isinstance(data, (list, tuple)) and not isinstance(data, str):
        return type(data)(_to_device(v, device) for v in data)
    return data


def _batch_size(data: Any, stack_dim: int) -> int:
    values = data.values() if isinstance(data, Mapping) else data
    for v in values:
        if isinstance(v, torch.Tensor) and v.dim() > stack_dim:
            return int(v.shape[stack_dim])
    return 1


class LTRTrainer(BaseTrainer):
    """Trainer for ltr actors.

    Per epoch, each loader whose ``epoch_interval`` divides the epoch is cycled once (training loaders with
    gradients and optimizer steps, others under ``no_grad``). Running epoch averages are printed every
    ``settings.print_interval`` iterations, a tqdm bar is shown when stdout is a terminal, and per-epoch averages of
    every stat plus each param group's learning rate go to TensorBoard (rank 0 only).

    Optional step behaviour (keyword arguments, so a pipeline passes its own declared settings): ``grad_clip_norm``
    clips the global gradient L2 norm before each step (None = off); ``amp`` runs the actor under autocast with
    gradient scaling, on CUDA only (ignored with a warning elsewhere). Before each pass the actor's
    ``set_epoch(epoch)`` is called when it has one (e.g. a warm-up schedule).
    """

    def __init__(self, actor: Any, loaders: Sequence[Any], optimizer: torch.optim.Optimizer, settings: Settings,
                 lr_scheduler: Any = None, *, grad_clip_norm: float | None = None, amp: bool = False) -> None:
        super().__init__(actor, loaders, optimizer, settings, lr_scheduler)
        self.meters: dict[str, OrderedDict[str, AverageMeter]] = {}
        self.tensorboard: TensorboardWriter | None = None
        if self.is_main and settings.use_tensorboard and settings.env is not None:
            self.tensorboard = TensorboardWriter(settings.tensorboard_dir)
        self.visdom = visdom_logger_from_settings(settings) if self.is_main else None  # --visdom: live curves
        self.grad_clip_norm: float | None = float(grad_clip_norm) if grad_clip_norm else None
        self.amp = bool(amp)
        if self.amp and self.device.type != "cuda":
            logger.warning("amp requested but the device is %s: mixed precision runs on CUDA only, training in "
                           "float32", self.device)
            self.amp = False
        self.grad_scaler = torch.amp.GradScaler("cuda") if self.amp else None

    def train(self, max_epochs: int, load_latest: bool = True, fail_safe: bool = True) -> None:
        """See :meth:`BaseTrainer.train`; closes the TensorBoard writers at the end."""
        try:
            super().train(max_epochs, load_latest=load_latest, fail_safe=fail_safe)
        finally:
            if self.tensorboard is not None:
                self.tensorboard.close()

    # ------------------------------------------------------------------ epoch
    def train_epoch(self) -> None:
        ran = []
        for loader in self.loaders:
            if self.epoch % loader.epoch_interval == 0:
                self.cycle_dataset(loader)
                ran.append(loader.name)
        self._close_epoch(ran)

    def cycle_dataset(self, loader: Any) -> None:
        """One pass over ``loader``."""
        training = bool(getattr(loader, "training", True))
        self.actor.train(training)
        if hasattr(self.actor, "set_epoch"):  # epoch-dependent behaviour of the actor (e.g. a warm-up schedule)
            self.actor.set_epoch(self.epoch)
        self.prepare_loader(loader)
        meters = self.meters.setdefault(loader.name, OrderedDict())
        for m in meters.values():
            m.reset()
        n = len(loader)
        show_bar = self._use_progress_bar()
        bar = None
        if show_bar:
            from tqdm import tqdm  # only for interactive runs

            bar = tqdm(total=n, desc=f"{loader.name} {self.epoch}", leave=False, dynamic_ncols=True)
        interval = max(int(self.settings.print_interval), 1)
        stack_dim = int(getattr(loader, "stack_dim", 0))
        start = prev = time.perf_counter()
        samples = 0
        try:
            with torch.set_grad_enabled(training):
                for i, data in enumerate(loader, 1):
                    data = _to_device(data, self.device)
                    with torch.autocast(self.device.type, enabled=self.amp):
                        loss, stats = self.actor(data)
                    if training:
                        self.optimizer_step(loss)
                    bsz = _batch_size(data, stack_dim)
                    for name, value in stats.items():
                        meters.setdefault(name, AverageMeter()).update(float(value), bsz)
                    now = time.perf_counter()
                    samples += bsz
                    avg_fps = samples / max(now - start, 1e-9)
                    cur_fps = bsz / max(now - prev, 1e-9)
                    prev = now
                    if self.is_main:
                        line = format_stats_line(loader.name, self.epoch, i, n, avg_fps, cur_fps,
                                                 {k: m.avg for k, m in meters.items()})
                        if bar is not None:
                            bar.update(1)
                            bar.set_postfix_str(line.split("] ", 1)[1], refresh=False)
                        if i % interval == 0 or i == n:
                            (bar.write if bar is not None else _print)(line)
                        if (self.tensorboard is not None and training
                                and self.settings.tensorboard_iteration_loss):
                            self.tensorboard.add_scalars(loader.name, {"Loss/total/iteration": float(loss.item())},
                                                         (self.epoch - 1) * n + i)
                        if self.visdom is not None and training and (i % interval == 0 or i == n):
                            self.visdom.log_iteration(loader.name, (self.epoch - 1) * n + i, float(loss.item()))
        finally:
            if bar is not None:
                bar.close()

    def optimizer_step(self, loss: torch.Tensor) -> None:
        """Backward and step; ``grad_clip_norm`` clips the global L2 norm of all gradients first, and with ``amp``
        (CUDA only) the loss is scaled by a ``GradScaler`` (gradients unscaled before clipping)."""
        self.optimizer.zero_grad(set_to_none=True)
        if self.grad_scaler is not None:
            self.grad_scaler.scale(loss).backward()
            if self.grad_clip_norm is not None:
                self.grad_scaler.unscale_(self.optimizer)
                torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.grad_clip_norm)
            self.grad_scaler.step(self.optimizer)
            self.grad_scaler.update()
            return
        loss.backward()
        if self.grad_clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.grad_clip_norm)
        self.optimizer.step()

    def _use_progress_bar(self) -> bool:
        if not self.is_main:
            return False
        pref = self.settings.progress_bar
        if pref is None:
            return bool(getattr(sys.stdout, "isatty", lambda: False)())
        return bool(pref)

    def _close_epoch(self, ran: Sequence[str]) -> None:
        """Append epoch averages (averaged over ranks) to the history and write them to TensorBoard."""
        for name in ran:
            meters = self.meters.get(name, {})
            values: dict[str, float] = {}
            for stat, meter in meters.items():
                avg = meter.new_epoch()
                if avg is not None:
                    values[stat] = float(all_reduce_mean(torch.tensor(avg, dtype=torch.float64)).item())
            loader = next(ld for ld in self.loaders if ld.name == name)
            if getattr(loader, "training", True):
                for gi, group in enumerate(self.optimizer.param_groups):
                    values[f"LearningRate/group{gi}"] = float(group["lr"])
            hist = self.stats_history.setdefault(name, {})
            for stat, v in values.items():
                hist.setdefault(stat, {})[self.epoch] = v
            if self.tensorboard is not None:
                self.tensorboard.add_scalars(name, values, self.epoch)
            if self.visdom is not None:
                self.visdom.log_epoch(name, self.epoch, values)
        if self.tensorboard is not None:
            self.tensorboard.flush()

    def epoch_stat(self, loader_name: str, stat: str, epoch: int | None = None) -> float:
        """Average of ``stat`` for ``loader_name`` in ``epoch`` (default: last completed)."""
        hist = self.stats_history[loader_name][stat]
        return hist[self.epoch if epoch is None else epoch]


def _print(line: str) -> None:
    print(line, flush=True)
