"""A tracker whose output depends on the checkpoint it loads, for checkpoint-sweep tests.

``Tracker('analysistest_pkg.ckpt_tracker', ...)`` uses this module as tracker *and* parameter source. The network is
a registered constructor holding one number, ``shift``; the tracker loads ``params.network_path`` through
``ltr.admin.loading.load_network`` (the same path real trackers take) and predicts the initial box moved right by
``shift`` pixels in every frame, so each checkpoint's scores can be computed by hand.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ltr.models.registry import register_constructor
from pytracking.evaluation.data import Sequence
from pytracking.utils.params import TrackerParams


class ShiftNet(nn.Module):
    def __init__(self, shift: float = 0.0):
        super().__init__()
        self.shift = nn.Parameter(torch.tensor([float(shift)]))


@register_constructor("analysis_test_shiftnet")
def analysis_test_shiftnet(shift: float = 0.0) -> ShiftNet:
    return ShiftNet(shift)


class ShiftTracker:
    def __init__(self, params):
        from ltr.admin.loading import load_network

        self.params = params
        net, _ = load_network(params.network_path)
        self.shift = float(net.shift.detach()[0])

    def initialize(self, image, info):
        self.box = list(info["init_bbox"])
        return None

    def track(self, image, info=None):
        x, y, w, h = self.box
        return {"target_bbox": [x + self.shift, y, w, h]}


def get_tracker_class():
    return ShiftTracker


def get_parameters(param_name: str) -> TrackerParams:
    params = TrackerParams()
    params.network_path = None  # the sweep sets it
    params.debug = 0
    return params


class BlankFrames:
    """Picklable frame reader: a black 48x64 image for every index."""

    def __call__(self, index: int) -> np.ndarray:
        return np.zeros((48, 64, 3), dtype=np.uint8)


def static_sequences(num: int = 2, length: int = 6, box=(10.0, 10.0, 20.0, 20.0)) -> list[Sequence]:
    """Sequences whose target never moves (ground truth = ``box`` in every frame)."""
    gt = np.tile(np.asarray(box, dtype=np.float64), (length, 1))
    return [Sequence(f"static_{i}", [f"static_{i}/{k:04d}" for k in range(length)], "static", gt,
                     frame_reader=BlankFrames()) for i in range(num)]


def save_shift_checkpoint(path, shift: float, epoch: int):
    from ltr.admin.checkpoint import make_checkpoint, save_checkpoint

    net = analysis_test_shiftnet(shift=shift)
    return save_checkpoint(make_checkpoint(net, epoch), path)
