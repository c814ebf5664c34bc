"""Exact Precise RoI Pooling in plain PyTorch (the reference path; runs on every device, nothing to compile).

The feature map is read as a continuous surface: the bilinear interpolation of the grid values, zero outside the map
(hat kernel ``h(t) = max(0, 1 - |t|)`` around each integer coordinate). Every output bin is the exact integral of that
surface over the bin divided by the bin area. The integral separates into a row and a column factor, and the
antiderivative of the hat kernel,

    Hc(t) = 0 (t <= -1),  (t + 1)^2 / 2 (-1 <= t <= 0),  1 - (1 - t)^2 / 2 (0 <= t <= 1),  1 (t >= 1),

gives, for a bin ``[y0, y1] x [x0, x1]``, the row weights ``Wy[i] = Hc(y1 - i) - Hc(y0 - i)`` and column weights
``Wx[j] = Hc(x1 - j) - Hc(x0 - j)``; the bin value is ``sum_ij Wy[i] F[i, j] Wx[j] / ((y1 - y0)(x1 - x0))``.

Everything is expressed as batched matrix products, so autograd yields the gradients with respect to the features and
to the four box coordinates. ``Hc`` is continuously differentiable, so the gradient is well defined everywhere.
"""

from __future__ import annotations

import torch

__all__ = ["empty_output", "hat_and_cdf", "hat_cdf", "prroi_pool2d_reference", "validate_inputs"]

# A padded per-image batch may hold at most this many times the real roi count (plus slack) before we fall back to a
# per-image loop; this keeps memory bounded when the rois are spread very unevenly over the images.
_MAX_PADDING_FACTOR = 2
_PADDING_SLACK = 64


def hat_cdf(t: torch.Tensor) -> torch.Tensor:
    """Antiderivative ``Hc`` of the bilinear hat kernel ``max(0, 1 - |t|)`` (0 below -1, 1 above 1)."""
    t = t.clamp(-1.0, 1.0)
    return torch.where(t <= 0, 0.5 * (t + 1.0) ** 2, 1.0 - 0.5 * (1.0 - t) ** 2)


def hat_and_cdf(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(h(t), Hc(t))``, the hat kernel and its antiderivative, from one clamp of ``t`` (for callers that need both,
    such as box gradients, where ``h`` is the derivative of the bin weights w.r.t. a bin edge). On ``[-1, 1]``,
    ``Hc(t) = 1/2 + t - t |t| / 2``: the same function as :func:`hat_cdf`, written with the ``|t|`` the hat needs."""
    t = t.clamp(-1.0, 1.0)  # |t| >= 1 is flat for both functions
    a = t.abs()
    return 1 - a, torch.addcmul(t + 0.5, t, a, value=-0.5)


def validate_inputs(features: torch.Tensor, rois: torch.Tensor) -> torch.Tensor:
    """Check shapes, dtypes, devices and batch indices; return the batch indices as a long tensor.

    Raises ``ValueError``/``TypeError`` naming the offending argument, and ``IndexError`` for a batch index that does
    not address an image of ``features`` (the compiled kernel would read out of bounds otherwise).
    """
    if features.dim() != 4:
        raise ValueError(f"prroi_pool2d: features must be [B, C, H, W], got shape {tuple(features.shape)}")
    if not features.is_floating_point():
        raise TypeError(f"prroi_pool2d: features must be a floating-point tensor, got {features.dtype}")
    if rois.dim() != 2 or rois.shape[1] != 5:
        raise ValueError(
            f"prroi_pool2d: rois must be [K, 5] = [batch_index, x1, y1, x2, y2], got shape {tuple(rois.shape)}"
        )
    if rois.device != features.device:
        raise ValueError(f"prroi_pool2d: rois are on {rois.device} but features are on {features.device}")
    batch = rois[:, 0].detach()
    if batch.numel() == 0:
        return batch.long()
    as_float = batch.double()
    # One device sync for all three checks: whole finite numbers, smallest and largest index.
    whole, lo, hi = torch.stack(
        [(torch.isfinite(as_float) & (as_float == as_float.round())).all().double(), as_float.min(), as_float.max()]
    ).tolist()
    if not whole:
        raise ValueError("prroi_pool2d: rois[:, 0] (batch index) must hold whole numbers")
    lo, hi = int(lo), int(hi)
    num_images = features.shape[0]
    if lo < 0 or hi >= num_images:
        bad = lo if lo < 0 else hi
        raise IndexError(
            f"prroi_pool2d: rois[:, 0] (batch index) = {bad} is out of range for features with {num_images} image(s)"
        )
    return batch.long()


def empty_output(features: torch.Tensor, rois: torch.Tensor, pooled_height: int, pooled_width: int) -> torch.Tensor:
    """``[0, C, PH, PW]`` result for an empty roi tensor, still attached to the graph so ``backward`` works."""
    anchor = features.flatten()[:0].sum() + rois.flatten()[:0].sum().to(features.dtype)  # exactly 0, differentiable
    return features.new_zeros((0, features.shape[1], pooled_height, pooled_width)) + anchor


def _axis_weights(start: torch.Tensor, end: torch.Tensor, bins: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights ``[K, bins, size]`` of each grid line for every bin along one axis, and the bin length ``[K]``.

    ``start``/``end`` are the box limits in feature-map units; a box with ``end < start`` has zero length.
    """
    length = (end - start).clamp(min=0.0) / bins
    steps = torch.arange(bins + 1, device=start.device, dtype=start.dtype)
    edges = start[:, None] + length[:, None] * steps  # [K, bins + 1]
    grid = torch.arange(size, device=start.device, dtype=start.dtype)
    cdf = hat_cdf(edges[:, :, None] - grid)  # [K, bins + 1, size]
    return cdf[:, 1:] - cdf[:, :-1], length


def _contract(weights_y: torch.Tensor, feats: torch.Tensor, weights_x: torch.Tensor) -> torch.Tensor:
    """``out[g, k, c, p, q] = sum_ij Wy[g, k, p, i] F[g, c, i, j] Wx[g, k, q, j]`` as two batched matmuls.

    Never materialises a per-roi copy of the feature map: the largest temporary is ``[G, K, PH, C, W]``.
    """
    g, k, ph, h = weights_y.shape
    pw = weights_x.shape[2]
    c, w = feats.shape[1], feats.shape[3]
    rows = torch.bmm(weights_y.reshape(g, k * ph, h), feats.permute(0, 2, 1, 3).reshape(g, h, c * w))
    out = torch.bmm(rows.reshape(g * k, ph * c, w), weights_x.reshape(g * k, pw, w).transpose(1, 2))
    return out.reshape(g, k, ph, c, pw).permute(0, 1, 3, 2, 4)


def prroi_pool2d_reference(
    features: torch.Tensor, rois: torch.Tensor, pooled_height: int, pooled_width: int, spatial_scale: float
) -> torch.Tensor:
    """Exact PrRoI pooling ``[K, C, PH, PW]`` of ``features [B, C, H, W]`` over ``rois [K, 5]``.

    rois are ``[batch_index, x1, y1, x2, y2]`` in input-image pixels; the four coordinates are multiplied by
    ``spatial_scale`` to reach feature-map units. Differentiable with respect to ``features`` and ``rois[:, 1:]``.
    """
    if pooled_height <= 0 or pooled_width <= 0:
        raise ValueError(f"prroi_pool2d: pooled size must be positive, got {pooled_height}x{pooled_width}")
    batch = validate_inputs(features, rois)
    num_rois = rois.shape[0]
    height, width = features.shape[2:]
    if num_rois == 0:
        return empty_output(features, rois, pooled_height, pooled_width)

    coords = rois[:, 1:].to(features.dtype) * spatial_scale
    x1, y1, x2, y2 = coords.unbind(dim=1)
    weights_y, bin_h = _axis_weights(y1, y2, pooled_height, height)  # [K, PH, H]
    weights_x, bin_w = _axis_weights(x1, x2, pooled_width, width)  # [K, PW, W]
    area = bin_h * bin_w
    has_area = area > 0
    # Division by a safe denominator keeps the gradient finite for zero-area bins, whose value is exactly 0.
    scale = torch.where(has_area, 1.0 / torch.where(has_area, area, torch.ones_like(area)), torch.zeros_like(area))

    images, group_of_roi, counts = torch.unique(batch, return_inverse=True, return_counts=True)
    num_groups = images.shape[0]
    max_count = int(counts.max())
    if num_groups * max_count <= _MAX_PADDING_FACTOR * num_rois + _PADDING_SLACK:
        pooled = _pooled_padded(features, weights_y, weights_x, images, group_of_roi, counts, max_count)
    else:
        pooled = _pooled_per_image(features, weights_y, weights_x, batch, images)
    return pooled * scale[:, None, None, None]


def _pooled_padded(
    features: torch.Tensor,
    weights_y: torch.Tensor,
    weights_x: torch.Tensor,
    images: torch.Tensor,
    group_of_roi: torch.Tensor,
    counts: torch.Tensor,
    max_count: int,
) -> torch.Tensor:
    """Unnormalised bin integrals with the rois of each image packed into one zero-padded batch slot."""
    num_rois = weights_y.shape[0]
    num_groups = images.shape[0]
    order = torch.argsort(group_of_roi, stable=True)
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.empty_like(group_of_roi)
    rank[order] = torch.arange(num_rois, device=order.device) - starts[group_of_roi[order]]
    slot = group_of_roi * max_count + rank  # unique position of each roi in the padded [G * Kmax] layout

    def pad(w: torch.Tensor) -> torch.Tensor:
        padded = w.new_zeros((num_groups * max_count, *w.shape[1:])).index_copy(0, slot, w)
        return padded.reshape(num_groups, max_count, *w.shape[1:])

    feats = features if num_groups == features.shape[0] else features.index_select(0, images)
    out = _contract(pad(weights_y), feats, pad(weights_x))
    return out.reshape(num_groups * max_count, *out.shape[2:]).index_select(0, slot)


def _pooled_per_image(
    features: torch.Tensor, weights_y: torch.Tensor, weights_x: torch.Tensor, batch: torch.Tensor, images: torch.Tensor
) -> torch.Tensor:
    """Unnormalised bin integrals, one image at a time (used when rois are spread very unevenly)."""
    num_rois, pooled_height = weights_y.shape[:2]
    pooled_width = weights_x.shape[1]
    out = features.new_zeros((num_rois, features.shape[1], pooled_height, pooled_width))
    for image in images.tolist():
        idx = torch.nonzero(batch == image, as_tuple=True)[0]
        part = _contract(weights_y[idx][None], features[image : image + 1], weights_x[idx][None])[0]
        out = out.index_copy(0, idx, part)
    return out
