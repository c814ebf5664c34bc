"""OSTrack's crop, window and box mapping: the image-space half of the tracker, free of the network.

Why separate: these few formulas decide whether boxes match the published tracker pixel for pixel (the crop's
rounding and its right/bottom border quirk, the Hann window without a centre 1, the unrounded previous centre when
mapping back, the 10-pixel clip), so they are small pure functions tested on hand-computed cases.

Boxes are ``[x, y, w, h]`` in image pixels (0-based top-left) unless a docstring says otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from ltr.data.processing_ostrack import sample_target_padded

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "sample_target", "normalize_crop", "hann2d_window", "map_box_back",
           "clip_box"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def sample_target(image: np.ndarray, box: Sequence[float], factor: float, output_size: int
                  ) -> tuple[np.ndarray, float]:
    """Square crop of side ``ceil(sqrt(w h) * factor)`` centred on ``box``, zero-padded, resized to ``output_size``.

    The very crop the network was trained on (:func:`ltr.data.processing_ostrack.sample_target_padded`, which documents
    the rounding and the right/bottom border quirk of the published tracker); the padding mask is not needed here.
    Returns ``(crop output_size x output_size x 3 uint8, resize_factor = output_size / side)``.
    """
    crop, resize_factor, _ = sample_target_padded(image, box, factor, output_size)
    return crop, resize_factor


def normalize_crop(crop: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """HxWx3 uint8 RGB -> ``(1,3,H,W)`` float32: ``/255``, minus ImageNet mean, divided by its std."""
    t = torch.from_numpy(np.ascontiguousarray(crop)).to(device).permute(2, 0, 1).unsqueeze(0).float()
    mean = torch.tensor(IMAGENET_MEAN, device=t.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=t.device).view(1, 3, 1, 1)
    return (t / 255.0 - mean) / std


def hann2d_window(size: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """``(1,1,F,F)`` outer product of ``0.5 (1 - cos(2 pi k / (F+1)))``, ``k = 1..F`` (float32; never reaches 1)."""
    k = torch.arange(1, size + 1, device=device).float()
    w1 = 0.5 * (1 - torch.cos((2 * math.pi / (size + 1)) * k))
    return w1.reshape(1, 1, -1, 1) * w1.reshape(1, 1, 1, -1)


def map_box_back(pred: Sequence[float], prev_box: Sequence[float], search_size: int, resize_factor: float
                 ) -> list[float]:
    """Search-crop box ``(cx, cy, w, h)`` in crop-side pixels -> image ``[x, y, w, h]``.

    Uses the previous box's unrounded centre: ``cx_img = cx + px - side/2`` with ``side = search_size / resize_factor``.
    """
    px = prev_box[0] + 0.5 * prev_box[2]
    py = prev_box[1] + 0.5 * prev_box[3]
    half = 0.5 * search_size / resize_factor
    cx, cy, w, h = pred
    cx_img = cx + (px - half)
    cy_img = cy + (py - half)
    return [cx_img - 0.5 * w, cy_img - 0.5 * h, w, h]


def clip_box(box: Sequence[float], height: int, width: int, margin: int = 10) -> list[float]:
    """Keep at least ``margin`` pixels of the box inside the image and make it at least ``margin`` wide and high."""
    x1, y1, w, h = box
    x2, y2 = x1 + w, y1 + h
    x1 = min(max(0, x1), width - margin)
    x2 = min(max(margin, x2), width)
    y1 = min(max(0, y1), height - margin)
    y2 = min(max(margin, y2), height)
    return [x1, y1, max(margin, x2 - x1), max(margin, y2 - y1)]
