"""Score-map upsampling and Gaussian training labels of ATOM's classifier.

Why matrices: the published tracker upsamples the ``h x w`` filter response to the ``H x W`` sample resolution by
evaluating its Fourier series (FFT, phase shift that puts zero displacement at index 0, zero padding, inverse FFT).
That whole chain is linear, real and separable, so it equals ``G_rows @ s @ G_cols^T`` with two small real matrices
that depend only on the sizes: one matrix product per frame instead of two FFTs, with identical values (up to
rounding). The construction keeps the published details: for even ``h`` the Nyquist coefficient is used at both
``+h/2`` and ``-h/2``, and the phase shift is ``pi (1 - (k mod 2) / h)`` for kernel size ``k``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from pytracking.libs import dcf

__all__ = ["ScoreUpsampler", "clipped_output_window", "effective_window_size", "fourier_interp_matrix", "label_center",
           "label_map"]


def fourier_interp_matrix(in_sz: int, out_sz: int, kernel_sz: int, dtype: torch.dtype = torch.float32,
                          device: torch.device | str = "cpu") -> torch.Tensor:
    """``[out_sz, in_sz]`` matrix ``G`` with ``G[n, p] = (1 + 2 sum_{k=1}^{in_sz//2} cos(k theta)) / in_sz``,
    ``theta = shift + 2 pi (n / out_sz - p / in_sz)``, ``shift = pi (1 - (kernel_sz % 2) / in_sz)``.

    Row ``n`` of ``G @ s`` is the Fourier series of ``s`` (all frequencies ``|k| <= in_sz // 2``) evaluated at
    ``n / out_sz`` of a period after the half-period shift; index 0 is zero displacement.
    """
    shift = math.pi * (1 - (kernel_sz % 2) / in_sz)
    n = torch.arange(out_sz, dtype=torch.float64).reshape(-1, 1)
    p = torch.arange(in_sz, dtype=torch.float64).reshape(1, -1)
    theta = shift + 2 * math.pi * (n / out_sz - p / in_sz)
    k = torch.arange(1, in_sz // 2 + 1, dtype=torch.float64)
    g = (1 + 2 * torch.cos(theta.unsqueeze(-1) * k).sum(-1)) / in_sz
    return g.to(dtype=dtype, device=device)


class ScoreUpsampler:
    """Upsample raw scores ``[S, 1, h, w]`` to ``[S, H, W]`` in FFT layout (zero displacement at index 0)."""

    def __init__(self, in_sz: Sequence[int], out_sz: Sequence[int], kernel_sz: Sequence[int],
                 device: torch.device | str = "cpu") -> None:
        self.rows = fourier_interp_matrix(int(in_sz[0]), int(out_sz[0]), int(kernel_sz[0]), device=device)
        self.cols_t = fourier_interp_matrix(int(in_sz[1]), int(out_sz[1]), int(kernel_sz[1]), device=device).t()

    def __call__(self, scores_raw: torch.Tensor) -> torch.Tensor:
        s = scores_raw.reshape(-1, *scores_raw.shape[-2:])
        return self.rows @ s @ self.cols_t


def label_center(feature_sz: Sequence[float], kernel_sz: Sequence[int], target_offset_norm: Sequence[float],
                 shift_px: Sequence[float] = (0.0, 0.0), support_sz: Sequence[float] = (1.0, 1.0)) -> tuple:
    """Peak of a label map relative to the map centre, in feature cells ``(row, col)``.

    ``target_offset_norm``: target centre minus sample centre, divided by the sample's image extent;
    ``shift_px``: augmentation shift in sample pixels (``support_sz`` the sample size in pixels). Even kernels
    add half a cell because their 'same' output is aligned half a cell before the centre.
    """
    return tuple(
        float(fs) * float(t) + 0.5 * ((int(k) + 1) % 2) + float(sh) / float(sup) * float(fs)
        for fs, k, t, sh, sup in zip(feature_sz, kernel_sz, target_offset_norm, shift_px, support_sz, strict=True)
    )


def label_map(feature_sz: Sequence[int], sigma: Sequence[float], center: Sequence[float],
              device: torch.device | str = "cpu") -> torch.Tensor:
    """Gaussian label ``[1, 1, H, W]`` with peak 1 at ``center`` cells from the map centre."""
    return dcf.label_function_spatial((int(feature_sz[0]), int(feature_sz[1])), tuple(sigma), tuple(center)).to(device)


def effective_window_size(out_sz: int, ratio: float) -> int:
    """``out_sz * ratio`` rounded to the nearest integer whose difference to ``out_sz`` is even (ties: the larger)."""
    if not 0 < ratio <= 1:
        raise ValueError(f"effective_search_area / search_area_scale must be in (0, 1], got {ratio!r}")
    half_pad = math.ceil((out_sz - out_sz * ratio) / 2 - 0.5)
    return max(out_sz - 2 * half_pad, 1)


def clipped_output_window(out_sz: Sequence[int], ratio: float) -> torch.Tensor:
    """``use_clipped_window``: ``[H, W]`` output window in FFT layout (index 0 = zero displacement).

    A centred 2-D Hann window of the effective size (:func:`effective_window_size` per side, ``ratio`` =
    ``effective_search_area / search_area_scale``), padded to ``out_sz`` by repeating its edge values, then shifted
    circularly by ``-(H // 2, W // 2)`` like the plain output window.
    """
    h, w = int(out_sz[0]), int(out_sz[1])
    eh, ew = effective_window_size(h, ratio), effective_window_size(w, ratio)
    window = dcf.hann2d((eh, ew), centered=True)
    ph, pw = (h - eh) // 2, (w - ew) // 2
    window = torch.nn.functional.pad(window, (pw, pw, ph, ph), mode="replicate")[0, 0]
    return torch.roll(window, shifts=(-(h // 2), -(w // 2)), dims=(0, 1))
