"""Base class of all online trackers: the ``initialize`` / ``track`` contract and the cheap debug hook.

Why a debug hook with a callable: building debug data (score maps copied to the CPU, loss curves) costs time. Trackers
pass a ``make_data`` callable that only runs when the debug level asks for it and a visualiser is attached, so
``debug = 0`` costs one comparison per call and can never change results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from pytracking.tracker.base.boxes import default_size_limits
from pytracking.utils.params import Params, TrackerParams

__all__ = ["BaseTracker"]


class BaseTracker:
    """Tracker interface.

    ``initialize(image, {'init_bbox': [x, y, w, h]})`` starts tracking on the first frame; ``track(image, info)``
    returns ``{'target_bbox': [x, y, w, h]}`` for each following frame. Images are HxWx3 uint8 RGB arrays.
    ``self.visdom`` is set by the evaluation ``Tracker`` wrapper (or stays None).
    """

    def __init__(self, params: Params | TrackerParams) -> None:
        self.params = params
        self.visdom: Any = None

    @property
    def debug_level(self) -> int:
        """The ``debug`` parameter (0 when unset)."""
        return int(self.params.debug or 0)

    def debug_register(self, level: int, mode: str, title: str, make_data: Callable[[], Any]) -> None:
        """Send ``make_data()`` to the visualiser as a ``mode`` block titled ``title`` when ``debug >= level``.

        ``make_data`` is not called at all otherwise (no visualiser, or a lower debug level).
        """
        if self.visdom is None or self.debug_level < level:
            return
        self.visdom.register(make_data(), mode, level, title)

    def box_size_limits(self, image_hw: tuple[int, int]) -> tuple[float, float, float, float]:
        """``(min_w, min_h, max_w, max_h)`` in pixels that every reported box obeys for images of ``image_hw``.

        The evaluation wrapper enforces them (see :mod:`pytracking.tracker.base.boxes`). Default: one pixel up to the
        image size; a tracker with tighter scale limits overrides this.
        """
        return default_size_limits(image_hw)

    def initialize(self, image: np.ndarray, info: dict) -> dict | None:
        """Start tracking the object ``info['init_bbox']`` in the first frame."""
        raise NotImplementedError

    def track(self, image: np.ndarray, info: dict | None = None) -> dict:
        """Track the object in the next frame; returns at least ``{'target_bbox': [x, y, w, h]}``."""
        raise NotImplementedError
