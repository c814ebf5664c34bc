"""The box contract every tracker run obeys, enforced in one place (the ``Tracker`` wrapper and ``run_vot``).

Why here and not in each tracker: a tracker fed a box outside the image, or a frame of another size, does not fail;
it tracks garbage and the result file looks fine. :class:`BoxGuard` checks the initial box (finite, positive size,
intersecting the image; partly outside -> clipped with one warning; entirely outside -> :class:`InitBoxError` naming
the sequence/video and the box), refuses a frame whose size differs from the first (:class:`FrameSizeError` naming the
frame), and keeps every reported box inside the contract: it intersects the image and its width/height stay within the
tracker's stated limits (:meth:`BaseTracker.box_size_limits`; default 1 px .. the image size). Boxes the tracker
reported outside the contract are corrected (size clamped, box moved to overlap the image) and counted; the count is
announced once per run.

Boxes are ``[x, y, w, h]`` in pixels; the image spans ``[0, W] x [0, H]``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ltr.admin.errors import UserError

__all__ = ["InitBoxError", "FrameSizeError", "BoxGuard", "validate_init_box", "constrain_box", "default_size_limits"]


class InitBoxError(UserError, ValueError):
    """The initial box is not usable (not finite, non-positive size, or entirely outside the first frame)."""


class FrameSizeError(UserError, ValueError):
    """A frame's size differs from the first frame's (trackers keep image-size dependent state)."""


def _fmt(box: Any) -> str:
    return "[" + ", ".join(f"{float(v):g}" for v in box) + "]"


def default_size_limits(image_hw: tuple[int, int]) -> tuple[float, float, float, float]:
    """``(min_w, min_h, max_w, max_h)``: at least one pixel, at most the image."""
    return 1.0, 1.0, float(image_hw[1]), float(image_hw[0])


def validate_init_box(box: Any, image_hw: tuple[int, int], where: str,
                      warn: Callable[[str], None] | None = None) -> list[float]:
    """The initial box, clipped to the image (one warning) when it sticks out; :class:`InitBoxError` otherwise."""
    try:
        arr = np.asarray(box, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InitBoxError(f"{where}: initial box {box!r} is not 4 numbers [x, y, w, h]") from None
    if arr.size != 4 or not np.isfinite(arr).all():
        raise InitBoxError(f"{where}: initial box {box!r} must be 4 finite numbers [x, y, w, h]")
    x, y, w, h = (float(v) for v in arr)
    if w <= 0 or h <= 0:
        raise InitBoxError(f"{where}: initial box {_fmt(arr)} has width/height <= 0")
    height, width = int(image_hw[0]), int(image_hw[1])
    x1, y1, x2, y2 = max(x, 0.0), max(y, 0.0), min(x + w, float(width)), min(y + h, float(height))
    if x2 <= x1 or y2 <= y1:
        raise InitBoxError(f"{where}: initial box {_fmt(arr)} lies entirely outside the {width}x{height} image")
    clipped = [x1, y1, x2 - x1, y2 - y1]
    if clipped != [x, y, w, h]:
        (warn or _stderr)(f"warning: {where}: initial box {_fmt(arr)} extends outside the {width}x{height} image; "
                          f"clipped to {_fmt(clipped)}")
    return clipped


def constrain_box(box: list[float], image_hw: tuple[int, int],
                  limits: tuple[float, float, float, float]) -> list[float]:
    """``box`` with width/height clamped to ``limits`` and moved (size kept) so that it overlaps the image by at least
    one pixel (or its whole extent, if smaller) in each direction."""
    height, width = float(image_hw[0]), float(image_hw[1])
    min_w, min_h, max_w, max_h = limits
    x, y, w, h = box
    w = min(max(w, min_w), max_w)
    h = min(max(h, min_h), max_h)
    cx, cy = x + box[2] / 2, y + box[3] / 2  # keep the centre while the size changes
    x, y = cx - w / 2, cy - h / 2
    need_x, need_y = min(1.0, w, width), min(1.0, h, height)
    x = min(max(x, need_x - w), width - need_x)
    y = min(max(y, need_y - h), height - need_y)
    return [x, y, w, h]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class BoxGuard:
    """Per-run enforcement of the box contract (module docstring). ``tracker`` supplies ``box_size_limits``."""

    def __init__(self, tracker: Any, where: str, warn: Callable[[str], None] | None = None) -> None:
        self.tracker = tracker
        self.where = where
        self.warn = warn or _stderr
        self.image_hw: tuple[int, int] | None = None
        self.limits: tuple[float, float, float, float] | None = None
        self.corrected: list[int] = []

    def check_frame(self, index: int, image: np.ndarray, frame_name: str | None = None) -> None:
        """Record the first frame's size; :class:`FrameSizeError` naming the frame if a later one differs."""
        hw = (int(image.shape[0]), int(image.shape[1]))
        if self.image_hw is None:
            self.image_hw = hw
            limits = getattr(self.tracker, "box_size_limits", None)
            self.limits = tuple(float(v) for v in (limits(hw) if callable(limits) else default_size_limits(hw)))
            return
        if hw != self.image_hw:
            name = f" ({frame_name})" if frame_name else ""
            raise FrameSizeError(f"{self.where} frame {index}{name}: image is {hw[1]}x{hw[0]} but the first frame is "
                                 f"{self.image_hw[1]}x{self.image_hw[0]}; every frame of a sequence must have the "
                                 f"first frame's size")

    def init_box(self, box: Any) -> list[float]:
        assert self.image_hw is not None, "check_frame(0, image) first"
        return validate_init_box(box, self.image_hw, self.where, self.warn)

    def report(self, index: int, box: list[float]) -> list[float]:
        """``box`` if it obeys the contract, else the corrected box (counted for :meth:`finish`)."""
        assert self.image_hw is not None and self.limits is not None
        fixed = constrain_box(box, self.image_hw, self.limits)
        if any(not math.isclose(a, b, rel_tol=0, abs_tol=1e-9) for a, b in zip(fixed, box, strict=True)):
            self.corrected.append(index)
            return fixed
        return box

    def finish(self) -> None:
        """Announce (once) how many reported boxes had to be corrected."""
        if self.corrected:
            first = ", ".join(str(i) for i in self.corrected[:5]) + (", ..." if len(self.corrected) > 5 else "")
            self.warn(f"warning: {self.where}: {len(self.corrected)} tracker box(es) left the image or the tracker's "
                      f"size limits and were corrected (frames {first})")
