"""Per-sequence progress for long tracking runs: a frame bar (frames, FPS, ETA) on a terminal, nothing in logs.

Why: a long OTB sequence takes minutes on a CPU; with only a line when a sequence ends, a run looks hung. On a
terminal every running sequence gets a tqdm bar (``Couple: 57/140 frames [00:43<01:02, 1.3 frame/s]``) that
disappears when the sequence is done and its one summary line is printed; when the output is a log file or CI
(not a terminal) there are no bars, only the one line per sequence. Worker processes report their frame counts
through a queue (at most a few messages per second per sequence), so bars also work with ``--threads N``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Hashable
from typing import Any, TextIO

__all__ = ["FrameProgress", "throttled_reporter", "use_progress_bars"]


def use_progress_bars(stream: TextIO | None = None) -> bool:
    """True when ``stream`` (default stderr, where tqdm draws) is an interactive terminal."""
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # closed stream
        return False


class FrameProgress:
    """A frame bar per running sequence (when ``enabled``) and a way to print lines without tearing the bars.

    Args:
        enabled: draw bars; None = only when stderr (or ``file``) is a terminal.
        file: stream the bars are drawn on (default stderr).
    """

    def __init__(self, enabled: bool | None = None, file: TextIO | None = None) -> None:
        self.file = file if file is not None else sys.stderr
        self.enabled = use_progress_bars(self.file) if enabled is None else bool(enabled)
        self._bars: dict[Hashable, Any] = {}

    def start(self, key: Hashable, desc: str, total: int) -> None:
        if not self.enabled or key in self._bars:
            return
        from tqdm import tqdm

        self._bars[key] = tqdm(total=total, desc=desc, unit="frame", leave=False, file=self.file,
                               position=len(self._bars), mininterval=0.5, **self._width())

    def _width(self) -> dict[str, Any]:
        """Follow the terminal's width; a terminal reporting 0 columns (some ptys) would hide the bar: 100."""
        import os

        try:
            columns = os.get_terminal_size(self.file.fileno()).columns
        except (AttributeError, OSError, ValueError):
            columns = 0
        return {"dynamic_ncols": True} if columns > 0 else {"ncols": 100}

    def update(self, key: Hashable, done: int) -> None:
        bar = self._bars.get(key)
        if bar is not None and done > bar.n:
            bar.update(done - bar.n)

    def finish(self, key: Hashable) -> None:
        bar = self._bars.pop(key, None)
        if bar is not None:
            bar.close()

    def write(self, log: Callable[[str], None], line: str) -> None:
        """``log(line)`` with the bars cleared around it (when there are any)."""
        if not self._bars:
            log(line)
            return
        from tqdm import tqdm

        with tqdm.external_write_mode(file=self.file):
            log(line)

    def close(self) -> None:
        for key in list(self._bars):
            self.finish(key)


def throttled_reporter(send: Callable[[int], None], total: int, interval: float = 0.25) -> Callable[[int], None]:
    """``report(frames_done)`` calling ``send`` at most every ``interval`` seconds, and always for the last frame."""
    last = [0.0]

    def report(done: int) -> None:
        now = time.monotonic()
        if done >= total or now - last[0] >= interval:
            last[0] = now
            send(done)

    return report
