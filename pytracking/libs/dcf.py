"""Correlation-filter helpers in the spatial domain: cosine (Hann) windows, Gaussian label maps, 2-D argmax.

Shapes: 2-D windows and label maps are returned as ``[1, 1, H, W]`` so they broadcast against ``[N, C, H, W]``
feature and score maps. Sizes may be an int (square), a pair ``(H, W)`` or a 2-element tensor; all coordinates are
``(row, col)``. Windows and labels are computed in float64 and returned in ``dtype`` on ``device``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

__all__ = ["hann1d", "hann2d", "gauss_spatial", "label_function_spatial", "max2d"]

SizeLike = int | Sequence[int] | torch.Tensor
PairLike = float | Sequence[float] | torch.Tensor
DeviceLike = torch.device | str | None


def _pair_int(sz: SizeLike) -> tuple[int, int]:
    if isinstance(sz, torch.Tensor):
        sz = sz.reshape(-1).tolist()
    if isinstance(sz, (int, float)):
        return int(sz), int(sz)
    if len(sz) != 2:
        raise ValueError(f"size must be an int or a pair (H, W), got {sz!r}")
    return int(sz[0]), int(sz[1])


def _pair_float(v: PairLike) -> tuple[float, float]:
    if isinstance(v, torch.Tensor):
        v = v.reshape(-1).tolist()
    if isinstance(v, (int, float)):
        return float(v), float(v)
    if len(v) == 1:
        return float(v[0]), float(v[0])
    return float(v[0]), float(v[1])


def hann1d(
    sz: int, centered: bool = True, dtype: torch.dtype = torch.float32, device: DeviceLike = None
) -> torch.Tensor:
    """Hann window of length ``sz`` that is strictly positive everywhere.

    ``centered=True``: ``w[n] = 0.5 * (1 - cos(2π (n + 1) / (sz + 1)))``, symmetric about ``(sz - 1) / 2`` (a Hann
    window of length ``sz + 2`` with its two zero end points removed).
    ``centered=False``: the window for maps in FFT layout (origin at index 0, wrapping around):
    ``w[n] = 0.5 * (1 + cos(2π d / (sz + 2)))`` with ``d = min(n, sz - n)`` the circular distance to index 0, so
    ``w[0] = 1`` and the zeros fall at distance ``sz/2 + 1``, just outside the map. These are the values of the
    output window of the published trackers (used by the VOT parameter sets on FFT-layout score maps).
    """
    if sz < 1:
        raise ValueError(f"hann1d: sz must be >= 1, got {sz}")
    n = torch.arange(sz, dtype=torch.float64)
    if centered:
        w = 0.5 * (1 - torch.cos(2 * math.pi * (n + 1) / (sz + 1)))
    else:
        d = torch.minimum(n, sz - n)
        w = 0.5 * (1 + torch.cos(2 * math.pi * d / (sz + 2)))
    return w.to(dtype=dtype, device=device)


def hann2d(
    sz: SizeLike, centered: bool = True, dtype: torch.dtype = torch.float32, device: DeviceLike = None
) -> torch.Tensor:
    """Separable 2-D Hann window ``[1, 1, H, W]`` (outer product of :func:`hann1d` over rows and columns)."""
    h, w = _pair_int(sz)
    wy = hann1d(h, centered, dtype, device).reshape(-1, 1)
    return (wy * hann1d(w, centered, dtype, device).reshape(1, -1))[None, None]


def gauss_spatial(
    sz: int,
    sigma: float,
    center: float = 0.0,
    end_pad: int = 0,
    dtype: torch.dtype = torch.float32,
    device: DeviceLike = None,
) -> torch.Tensor:
    """1-D Gaussian ``exp(-(k - center)² / (2 σ²))`` sampled at ``k = -(sz-1)/2, ..., (sz-1)/2 + end_pad``.

    The sample grid has its origin at the centre of the ``sz`` samples (half-way between the two middle ones for even
    ``sz``); ``center`` is the peak's offset from that origin in samples. ``end_pad`` extra samples are appended at
    the end (for maps one larger than ``sz``); the result has ``sz + end_pad`` elements.
    """
    k = torch.arange(sz + end_pad, dtype=torch.float64) - (sz - 1) / 2
    return torch.exp(-((k - center) ** 2) / (2 * sigma**2)).to(dtype=dtype, device=device)


def label_function_spatial(
    sz: SizeLike,
    sigma: PairLike,
    center: PairLike = (0.0, 0.0),
    end_pad: SizeLike = (0, 0),
    dtype: torch.dtype = torch.float32,
    device: DeviceLike = None,
) -> torch.Tensor:
    """2-D Gaussian label map ``[1, 1, H + end_pad[0], W + end_pad[1]]`` with peak value 1.

    The origin is the map centre, ``((H-1)/2, (W-1)/2)`` in pixel indices; ``center = (dy, dx)`` places the peak at
    index ``((H-1)/2 + dy, (W-1)/2 + dx)``. ``sigma`` is a scalar or ``(σ_y, σ_x)``, in samples. The map is the outer
    product of :func:`gauss_spatial` along rows and columns.
    """
    h, w = _pair_int(sz)
    sy, sx = _pair_float(sigma)
    cy, cx = _pair_float(center)
    py, px = _pair_int(end_pad)
    gy = gauss_spatial(h, sy, cy, py, dtype, device)
    gx = gauss_spatial(w, sx, cx, px, dtype, device)
    return (gy.reshape(-1, 1) * gx.reshape(1, -1))[None, None]


def max2d(a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Maximum over the last two dimensions of ``a [..., H, W]``.

    Returns ``(values [...], index [..., 2])`` with the index as ``(row, col)`` (int64). Ties go to the first
    position in row-major order.
    """
    if a.dim() < 2:
        raise ValueError(f"max2d: expected a tensor with at least 2 dimensions, got shape {tuple(a.shape)}")
    w = a.shape[-1]
    values, flat = a.reshape(*a.shape[:-2], -1).max(dim=-1)
    index = torch.stack([torch.div(flat, w, rounding_mode="floor"), flat % w], dim=-1)
    return values, index
