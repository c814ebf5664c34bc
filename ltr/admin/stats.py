"""Running averages of training statistics.

Why: the trainer prints and logs per-iteration *running epoch averages* (weighted by batch size, so a short last
batch counts less) and keeps one average per epoch in the checkpoint's stats history.
"""

from __future__ import annotations

__all__ = ["AverageMeter"]


class AverageMeter:
    """Batch-size weighted average of a scalar over the current epoch, plus the per-epoch history."""

    def __init__(self) -> None:
        self.history: list[float] = []
        self.reset()

    def reset(self) -> None:
        """Start a new averaging window (the history is kept)."""
        self.val = 0.0
        self.sum = 0.0
        self.count = 0
        self.avg = 0.0

    def update(self, val: float, n: int = 1) -> None:
        """Add ``val`` observed on ``n`` samples."""
        self.val = float(val)
        self.sum += float(val) * n
        self.count += int(n)
        self.avg = self.sum / self.count if self.count else 0.0

    def new_epoch(self) -> float | None:
        """Close the epoch: append its average to ``history`` (if anything was seen), reset, return the average."""
        if self.count == 0:
            return None
        avg = self.avg
        self.history.append(avg)
        self.reset()
        return avg
