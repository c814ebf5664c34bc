"""Tiny trackers for the evaluation tests (importable by module path, also from spawned worker processes).

``evaltest_pkg.trackers`` is used as a tracker "name" given by module path: it provides ``get_tracker_class()`` and
``get_parameters(parameter_name)``.
"""

from __future__ import annotations

import time

import numpy as np


class Params:
    """Minimal parameter object (attributes set freely)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


class SlowNet:
    """Network wrapper whose ``initialize()`` (weight loading) takes ``delay`` seconds once."""

    def __init__(self, delay: float):
        self.delay = delay
        self.loaded = False

    def initialize(self) -> None:
        if not self.loaded:
            time.sleep(self.delay)
            self.loaded = True


class EchoTracker:
    """Returns the init box moved by ``params.step`` px in x per frame; fails on frame ``params.fail_at`` for
    sequences whose name contains 'bad'. Records the top-left pixel of every frame (to check RGB order)."""

    def __init__(self, params):
        self.params = params
        self.pixels: list[list[int]] = []

    def initialize(self, image: np.ndarray, info: dict) -> dict | None:
        net = getattr(self.params, "net", None)
        if net is not None:
            net.initialize()  # idempotent: already loaded by the wrapper, so this costs nothing here
        self.box = list(info["init_bbox"])
        self.frame = 0
        self.pixels.append(image[0, 0].tolist())
        self.seq_name = info.get("seq_name")
        return None

    def track(self, image: np.ndarray, info: dict | None = None) -> dict:
        self.frame += 1
        self.pixels.append(image[0, 0].tolist())
        if getattr(self.params, "fail_at", None) == self.frame and getattr(self.params, "failing", False):
            raise RuntimeError(f"deliberate failure at frame {self.frame}")
        x, y, w, h = self.box
        return {"target_bbox": [x + self.params.step * self.frame, y, w, h]}


class BadSequenceTracker(EchoTracker):
    """Fails on frame 2 when the first frame's top-left pixel is pure blue (how the test marks a 'bad' sequence)."""

    def initialize(self, image, info):
        self.bad = image[0, 0].tolist() == [0, 0, 255]
        return super().initialize(image, info)

    def track(self, image, info=None):
        if self.bad and self.frame + 1 == 2:
            raise RuntimeError("deliberate failure on a bad sequence")
        return super().track(image, info)


def get_tracker_class():
    return BadSequenceTracker


def get_parameters(parameter_name: str) -> Params:
    if parameter_name == "default":
        return Params(step=1.5, debug=0)
    if parameter_name == "slownet":
        return Params(step=1.0, debug=0, net=SlowNet(0.3))
    raise ValueError(f"unknown parameter set {parameter_name!r}")


def default_params() -> Params:
    return get_parameters("default")
