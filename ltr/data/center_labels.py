"""Gaussian centre labels for centre-head trackers (OSTrack's score-map target).

Why a Gaussian and not a one-hot cell: the score map is trained with a penalty-reduced focal loss (CenterNet), which
needs a target that is exactly 1 at the object's centre cell and decays around it, so that near-misses are punished
less than far ones. The decay radius follows the object size (CornerNet's radius for a minimum box overlap).

Conventions: boxes are normalised ``[x1, y1, w, h]`` (fractions of the search crop side); ``feat_sz`` is the side
``F`` of the square score map. Everything is computed on the CPU in float32 like the published implementation (the
radius is truncated to an integer, so the float width matters at exact integer radii).
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["gaussian_radius", "gaussian_patch", "draw_gaussian", "gaussian_label"]

#: Minimum IoU a box shifted by the radius must keep with the GT box (CornerNet's ``min_overlap``).
MIN_OVERLAP = 0.7


def gaussian_radius(width: float | torch.Tensor, height: float | torch.Tensor,
                    min_overlap: float = MIN_OVERLAP) -> torch.Tensor:
    """Radius of the Gaussian for a ``width x height`` box (in score-map cells), before truncation.

    The three CornerNet cases in the form the published trackers use (the ``a``-less first two quadratics, "bug
    version"): with ``m = min_overlap``,
    ``r1 = (b1 + sqrt(b1^2 - 4 c1)) / 2`` with ``b1 = w + h``, ``c1 = w h (1 - m) / (1 + m)``;
    ``r2 = (b2 + sqrt(b2^2 - 16 c2)) / 2`` with ``b2 = 2 (w + h)``, ``c2 = (1 - m) w h``;
    ``r3 = (b3 + sqrt(b3^2 - 16 m c3)) / 2`` with ``b3 = -2 m (w + h)``, ``c3 = (m - 1) w h``; the radius is the
    smallest of the three. Computed in float32.
    """
    w = torch.as_tensor(width, dtype=torch.float32)
    h = torch.as_tensor(height, dtype=torch.float32)
    m = min_overlap
    b1 = h + w
    c1 = w * h * (1 - m) / (1 + m)
    r1 = (b1 + torch.sqrt(b1 ** 2 - 4 * c1)) / 2
    b2 = 2 * (h + w)
    c2 = (1 - m) * w * h
    r2 = (b2 + torch.sqrt(b2 ** 2 - 4 * 4 * c2)) / 2
    a3 = 4 * m
    b3 = -2 * m * (h + w)
    c3 = (m - 1) * w * h
    r3 = (b3 + torch.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return torch.minimum(torch.minimum(r1, r2), r3)


def gaussian_patch(radius: int) -> np.ndarray:
    """``(2r+1) x (2r+1)`` float64 Gaussian, ``sigma = (2r+1)/6``, peak 1 at the centre.

    Values below ``eps(float64) * max`` are set to 0 (so the far corners of big patches are exact zeros).
    """
    diameter = 2 * radius + 1
    sigma = diameter / 6.0
    d = np.arange(-radius, radius + 1, dtype=np.float64)
    g = np.exp(-(d[:, None] ** 2 + d[None, :] ** 2) / (2 * sigma * sigma))
    g[g < np.finfo(g.dtype).eps * g.max()] = 0
    return g


def draw_gaussian(heatmap: torch.Tensor, center: tuple[int, int], radius: int) -> torch.Tensor:
    """Paste :func:`gaussian_patch` centred at ``center = (col, row)`` into ``heatmap`` (HxW) with element-wise max.

    The patch is clipped at the map borders; a centre outside the map still contributes the part of its patch that
    overlaps the map. Modifies and returns ``heatmap``.
    """
    height, width = heatmap.shape
    x, y = int(center[0]), int(center[1])
    patch = torch.from_numpy(gaussian_patch(radius)).to(heatmap.dtype)
    x0, x1 = max(x - radius, 0), min(x + radius + 1, width)
    y0, y1 = max(y - radius, 0), min(y + radius + 1, height)
    if x0 >= x1 or y0 >= y1:
        return heatmap
    sub = patch[y0 - (y - radius):y1 - (y - radius), x0 - (x - radius):x1 - (x - radius)]
    heatmap[y0:y1, x0:x1] = torch.maximum(heatmap[y0:y1, x0:x1], sub)
    return heatmap


def gaussian_label(boxes: torch.Tensor, feat_sz: int, min_overlap: float = MIN_OVERLAP) -> torch.Tensor:
    """Score-map targets ``[B, F, F]`` (float32, CPU) for normalised ``[B, 4]`` (or ``[4]``) ``[x1, y1, w, h]`` boxes.

    Box in cells: ``b = box * F``; centre cell ``c = round(x1 + w/2, y1 + h/2)`` (round half to even), radius
    ``max(0, int(gaussian_radius(w, h)))``, then :func:`draw_gaussian` on a zero map.
    """
    b = torch.as_tensor(boxes, dtype=torch.float32).detach().cpu()
    single = b.dim() == 1
    b = b.reshape(-1, 4) * float(feat_sz)
    wh = b[:, 2:]
    centers = torch.round(b[:, :2] + wh / 2)
    radii = gaussian_radius(wh[:, 0], wh[:, 1], min_overlap)
    out = torch.zeros(b.shape[0], feat_sz, feat_sz)
    for i in range(b.shape[0]):
        r = float(radii[i])
        radius = max(0, int(r)) if math.isfinite(r) else 0
        draw_gaussian(out[i], (int(centers[i, 0]), int(centers[i, 1])), radius)
    return out[0] if single else out
