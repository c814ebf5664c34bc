"""Live training curves in visdom (``run_training.py ... --visdom``), beside the TensorBoard logs.

Why: people debugging trackers keep one visdom page open; this puts the training loss (every logged iteration and
per-epoch averages) and the learning rate there too. It is strictly optional: when the server is absent or stops
answering, training says so once and carries on (TensorBoard still has everything).

Windows (environment ``ltr_<module>_<name>`` by default): ``Loss/total (iteration)`` with one point per logged
training iteration, one window per statistic with one trace per loader (x = epoch), and ``LearningRate`` with one
trace per parameter group.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ltr.admin.settings import Settings

__all__ = ["VisdomLogger", "visdom_logger_from_settings"]


class VisdomLogger:
    """Sends training statistics to a visdom server.

    Args:
        sink: a :class:`pytracking.utils.visdom.connection.VisdomSink` (or anything with ``append_point``).
    """

    def __init__(self, sink: Any) -> None:
        self.sink = sink
        self.failed: str | None = None

    @classmethod
    def connect(cls, server: str = "127.0.0.1", port: int = 8097, env: str = "ltr") -> VisdomLogger | None:
        """A logger for ``server:port``, or None (with one printed line saying why) when no server answers."""
        from pytracking.utils.visdom.connection import VisdomSink, VisdomUnavailable, probe_server

        reason = probe_server(server, port)
        if reason is None:
            try:
                sink = VisdomSink(server, port, env=env, listen=False)
            except VisdomUnavailable as exc:
                reason = str(exc)
            else:
                print(f"visdom: training curves at {sink.url}", flush=True)
                return cls(sink)
        print(f"visdom: not showing training curves ({reason}); TensorBoard logging is unaffected. Start a server "
              f"with `python -m pytracking.utils.start_visdom --port {port}`.", file=sys.stderr, flush=True)
        return None

    def _append(self, win: str, title: str, x: float, y: float, trace: str, xlabel: str) -> None:
        if self.failed is not None:
            return
        from pytracking.utils.visdom.connection import VisdomUnavailable, window_id

        try:
            self.sink.append_point(window_id(win), title, x, y, trace, xlabel)
        except VisdomUnavailable as exc:
            self.failed = str(exc)
            print(f"visdom: {exc}; no more live curves for this run (TensorBoard logging continues)",
                  file=sys.stderr, flush=True)

    def log_iteration(self, loader_name: str, step: int, loss: float) -> None:
        """One point of the per-iteration total loss (``step`` counts iterations over all epochs)."""
        self._append("loss_total_iteration", "Loss/total (iteration)", step, loss, loader_name, "iteration")

    def log_epoch(self, loader_name: str, epoch: int, values: Mapping[str, float]) -> None:
        """Epoch averages: one window per statistic (trace = loader); ``LearningRate/group<i>`` go to one window."""
        for stat, value in values.items():
            if stat.startswith("LearningRate/"):
                self._append("learning_rate", "LearningRate", epoch, value, stat.split("/", 1)[1], "epoch")
            else:
                self._append(f"epoch_{stat}", f"{stat} (epoch average)", epoch, value, loader_name, "epoch")


def visdom_logger_from_settings(settings: Settings) -> VisdomLogger | None:
    """The logger asked for by ``settings.visdom`` (``{'server', 'port'[, 'env']}`` from ``--visdom``), else None."""
    cfg = settings.visdom
    if not cfg:
        return None
    cfg = dict(cfg) if isinstance(cfg, Mapping) else {}
    env = cfg.get("env") or f"ltr_{settings.module_name}_{settings.script_name}"
    return VisdomLogger.connect(str(cfg.get("server") or "127.0.0.1"), int(cfg.get("port") or 8097), env.strip("_"))
