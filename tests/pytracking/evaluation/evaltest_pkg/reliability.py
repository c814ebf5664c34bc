"""Test trackers for the reliability tests (importable by module path, also from spawned workers and subprocesses).

Parameter sets:
- ``drift``: the box moves ``step`` px right and grows by ``grow`` px per frame (leaves the image quickly).
- ``slow``: echoes the init box, sleeping ``RELIABILITY_SLEEP`` seconds (default 0.2) per frame; every initialise
  appends ``<pid> <sequence first frame>`` to the file named by ``RELIABILITY_LOG`` (if set) so tests can count who
  tracked what.
- ``threads``: reports ``torch.get_num_threads()`` in the box width (to check the per-sequence thread setting).
- ``badnet``: names a network file ``net_path`` that does not exist.
"""

from __future__ import annotations

import os
import time

import numpy as np


class Params:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class ReliabilityTracker:
    def __init__(self, params):
        self.params = params

    def initialize(self, image: np.ndarray, info: dict) -> None:
        self.box = [float(v) for v in info["init_bbox"]]
        self.frame = 0
        log = os.environ.get("RELIABILITY_LOG")
        if log:
            with open(log, "a") as fh:
                fh.write(f"{os.getpid()} {int(image[0, 0, 0])}\n")
        if self.params.mode == "slow":
            time.sleep(float(os.environ.get("RELIABILITY_SLEEP", "0.2")))
        return None

    def track(self, image: np.ndarray, info: dict | None = None) -> dict:
        self.frame += 1
        x, y, w, h = self.box
        if self.params.mode == "drift":
            return {"target_bbox": [x + self.params.step * self.frame, y, w + self.params.grow * self.frame,
                                    h + self.params.grow * self.frame]}
        if self.params.mode == "slow":
            time.sleep(float(os.environ.get("RELIABILITY_SLEEP", "0.2")))
        if self.params.mode == "threads":
            import torch

            return {"target_bbox": [x, y, float(torch.get_num_threads()), h]}
        return {"target_bbox": [x, y, w, h]}


def get_tracker_class():
    return ReliabilityTracker


def get_parameters(parameter_name: str) -> Params:
    if parameter_name == "drift":
        return Params(mode="drift", step=30.0, grow=40.0, debug=0)
    if parameter_name in ("slow", "echo", "threads"):
        return Params(mode=parameter_name, debug=0)
    if parameter_name == "badnet":
        return Params(mode="echo", debug=0, net_path="no_such_network_file.pth")
    raise ValueError(f"unknown parameter set {parameter_name!r}")
