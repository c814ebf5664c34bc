"""ATOM without the IoU-Net: scale from a 5-scale search (1.02^-2 .. 1.02^2) with the classifier alone."""

from __future__ import annotations

import torch

from pytracking.parameter.atom.default import base_parameters
from pytracking.tracker.atom.params import AtomParams

__all__ = ["parameters"]


def parameters() -> AtomParams:
    """``atom multiscale_no_iounet``."""
    params = base_parameters()
    params.scale_factors = 1.02 ** torch.arange(-2, 3).float()
    params.use_iou_net = False
    return params
