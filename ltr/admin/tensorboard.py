"""TensorBoard scalars for training runs, one event directory per loader (``<dir>/train``, ``<dir>/val``).

Why one writer per loader: TensorBoard overlays runs that share a tag, so ``Loss/total`` of train and val appear on
one chart. The ``tensorboard`` package is imported only when a writer is first needed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["TensorboardWriter"]


class TensorboardWriter:
    """Lazily created ``SummaryWriter`` per loader name under ``directory``."""

    def __init__(self, directory: str | os.PathLike) -> None:
        self.directory = Path(directory)
        self._writers: dict[str, Any] = {}

    def _writer(self, loader_name: str) -> Any:
        if loader_name not in self._writers:
            from torch.utils.tensorboard import SummaryWriter  # heavy import, only when logging is used

            self._writers[loader_name] = SummaryWriter(str(self.directory / loader_name))
        return self._writers[loader_name]

    def add_scalars(self, loader_name: str, values: Mapping[str, float], step: int) -> None:
        """Write ``tag -> value`` for one loader at ``step`` (epoch or global iteration)."""
        writer = self._writer(loader_name)
        for tag, value in values.items():
            writer.add_scalar(tag, float(value), int(step))

    def add_info(self, text: Mapping[str, str]) -> None:
        """Record run information (settings summary) as text under the 'info' run."""
        writer = self._writer("info")
        for tag, value in text.items():
            writer.add_text(tag, str(value))

    def flush(self) -> None:
        for w in self._writers.values():
            w.flush()

    def close(self) -> None:
        for w in self._writers.values():
            w.close()
        self._writers.clear()
