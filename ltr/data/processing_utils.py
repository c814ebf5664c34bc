"""Box jitter, search-region cropping, crop-coordinate mapping and IoU proposals for training-sample processing.

Boxes are ``[x, y, w, h]`` in continuous pixel coordinates (a box covers ``[x, x+w] x [y, y+h]``, its centre is
``(x + w/2, y + h/2)``; pixel ``(row i, col j)`` covers ``[j, j+1) x [i, i+1)``). All randomness is drawn from the
``np.random.Generator`` passed in; the functions keep no state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np
import torch

__all__ = [
    "DegenerateBoxError",
    "check_box",
    "jitter_box",
    "crop_window",
    "sample_target",
    "transform_image_to_crop",
    "iou_xywh",
    "perturb_box",
    "sample_box_proposals",
]


class DegenerateBoxError(ValueError):
    """A box cannot be used to build a training sample (non-finite, non-positive size, or a crop under 1 pixel).

    The sampler catches this, counts it and draws another sample, so one bad annotation never kills a worker.
    """


def _box_array(box: torch.Tensor | np.ndarray | Sequence[float]) -> np.ndarray:
    if isinstance(box, torch.Tensor):
        box = box.detach().cpu().numpy()
    arr = np.asarray(box, dtype=np.float64).reshape(-1)
    if arr.shape != (4,):
        raise ValueError(f"expected one [x, y, w, h] box, got shape {np.shape(box)}")
    return arr


def check_box(box: torch.Tensor | np.ndarray | Sequence[float], what: str = "box") -> np.ndarray:
    """Return the box as float64 numpy, raising :class:`DegenerateBoxError` if it is non-finite or has w/h <= 0."""
    arr = _box_array(box)
    if not np.all(np.isfinite(arr)):
        raise DegenerateBoxError(f"{what} {arr.tolist()} is not finite")
    if arr[2] <= 0 or arr[3] <= 0:
        raise DegenerateBoxError(f"{what} {arr.tolist()} has a non-positive width or height")
    return arr


def jitter_box(
    box: torch.Tensor | np.ndarray | Sequence[float],
    scale_jitter: float,
    center_jitter: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Jitter a GT box into the box the search region is cropped around.

    ``wh' = wh * exp(N(0,1) * scale_jitter)`` per axis, ``max_offset = sqrt(w' h') * center_jitter``,
    ``c' = c + max_offset * (U(0,1) - 0.5)`` per axis (``c = xy + wh/2``). Returns ``[x', y', w', h']`` (float64).
    """
    b = check_box(box, "ground-truth box")
    wh = b[2:] * np.exp(rng.standard_normal(2) * scale_jitter)
    max_offset = math.sqrt(wh[0] * wh[1]) * center_jitter
    center = b[:2] + 0.5 * b[2:] + max_offset * (rng.random(2) - 0.5)
    return np.concatenate([center - 0.5 * wh, wh])


def crop_window(box: np.ndarray | Sequence[float], search_area_factor: float) -> tuple[int, int, int]:
    """Square crop ``(x1, y1, side)`` for a (jittered) box: ``side = ceil(sqrt(w h) * f)``, ``x1 = round(cx - side/2)``.

    Raises :class:`DegenerateBoxError` for a degenerate box or a side under one pixel.
    """
    b = check_box(box, "crop box")
    raw = math.sqrt(b[2] * b[3]) * search_area_factor
    if not math.isfinite(raw) or raw < 1.0:
        raise DegenerateBoxError(f"crop side {raw:.4g} < 1 pixel for box {b.tolist()} (search_area_factor "
                                 f"{search_area_factor})")
    side = math.ceil(raw)
    cx, cy = b[0] + 0.5 * b[2], b[1] + 0.5 * b[3]
    return round(cx - 0.5 * side), round(cy - 0.5 * side), side


def sample_target(
    image: np.ndarray,
    box: np.ndarray | Sequence[float],
    search_area_factor: float,
    output_sz: int,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Crop the square search region of :func:`crop_window` around ``box`` and resize it to ``output_sz``.

    Outside the image the border pixels are replicated. Resampling is bilinear with the same pixel-centre mapping as
    ``cv2.resize``: output pixel ``j`` samples source index ``x1 + (j + 0.5) * side / output_sz - 0.5``. It is done by
    one ``cv2.warpAffine`` on the original image, so only ``output_sz``² pixels are computed and no padded copy of the
    (possibly huge) region is made.

    Returns ``(crop HxWxC same dtype as image, crop_box [x1, y1, side, side] float64, resize_factor output_sz/side)``.
    """
    if image.ndim not in (2, 3):
        raise ValueError(f"sample_target expects an HxW or HxWxC image, got shape {image.shape}")
    x1, y1, side = crop_window(box, search_area_factor)
    s = side / output_sz
    m = np.array([[s, 0.0, x1 + 0.5 * s - 0.5], [0.0, s, y1 + 0.5 * s - 0.5]])
    crop = cv2.warpAffine(
        image, m, (output_sz, output_sz), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )
    if image.ndim == 3 and crop.ndim == 2:  # cv2 drops a singleton channel axis
        crop = crop[:, :, None]
    return crop, np.array([x1, y1, side, side], dtype=np.float64), output_sz / side


def transform_image_to_crop(
    box_gt: np.ndarray | Sequence[float],
    box_crop: np.ndarray | Sequence[float],
    resize_factor: float,
    output_sz: int,
) -> np.ndarray:
    """Map the GT box into crop pixels: ``c_out = (output_sz - 1)/2 + (c_gt - c') * r``, ``wh_out = wh_gt * r``.

    ``box_crop`` is the (jittered) box the crop was centred on (its centre ``c'``), ``r = output_sz / side``.
    Returns ``[x, y, w, h]`` in crop pixels (float64).
    """
    gt = _box_array(box_gt)
    jb = _box_array(box_crop)
    c_gt = gt[:2] + 0.5 * gt[2:]
    c_crop = jb[:2] + 0.5 * jb[2:]
    c_out = (output_sz - 1) / 2.0 + (c_gt - c_crop) * resize_factor
    wh_out = gt[2:] * resize_factor
    return np.concatenate([c_out - 0.5 * wh_out, wh_out])


def iou_xywh(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """Plain continuous IoU of ``[..., 4]`` xywh boxes (broadcasting); 0 where the union is empty."""
    lib = torch if isinstance(a, torch.Tensor) else np
    x1 = lib.maximum(a[..., 0], b[..., 0])
    y1 = lib.maximum(a[..., 1], b[..., 1])
    x2 = lib.minimum(a[..., 0] + a[..., 2], b[..., 0] + b[..., 2])
    y2 = lib.minimum(a[..., 1] + a[..., 3], b[..., 1] + b[..., 3])
    inter = (x2 - x1).clip(min=0) * (y2 - y1).clip(min=0)
    union = a[..., 2] * a[..., 3] + b[..., 2] * b[..., 3] - inter
    safe = lib.where(union > 0, union, lib.ones_like(union))
    return lib.where(union > 0, inter / safe, lib.zeros_like(union))


def perturb_box(
    box: np.ndarray | Sequence[float],
    min_iou: float,
    sigma_factor: float | Sequence[float],
    rng: np.random.Generator,
    num_boxes: int = 1,
    max_tries: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian perturbations of ``box`` whose IoU with it exceeds ``min_iou``.

    Each proposal draws ``sigma_f`` uniformly from ``sigma_factor`` (or uses it if a number) and perturbs the centre and
    size per axis with ``N(0, (sqrt(w h) * sigma_f)²)``. A perturbed width/height ``<= 1`` is replaced by
    ``w * U(0.15, 0.5)`` (small but positive). If the IoU is not above ``min_iou`` the standard deviation shrinks by
    0.9 and the proposal is redrawn, at most ``max_tries`` times (the last draw is kept then).

    Returns ``(boxes [num_boxes, 4] xywh, iou [num_boxes])`` as float64 numpy; the IoU is exact for the returned boxes.
    """
    b = check_box(box, "proposal reference box")
    factors = np.atleast_1d(np.asarray(sigma_factor, dtype=np.float64))
    if factors.size == 0 or np.any(factors < 0):
        raise ValueError(f"sigma_factor must be a non-empty list of non-negative numbers, got {sigma_factor}")
    sigma = math.sqrt(b[2] * b[3]) * factors[rng.integers(0, factors.size, size=num_boxes)]
    center = b[:2] + 0.5 * b[2:]
    boxes = np.empty((num_boxes, 4))
    ious = np.full(num_boxes, -1.0)
    todo = np.arange(num_boxes)
    for _ in range(max_tries):
        n = todo.size
        s = sigma[todo, None]
        c = center + s * rng.standard_normal((n, 2))
        wh = b[2:] + s * rng.standard_normal((n, 2))
        small = wh <= 1.0
        if small.any():
            wh = np.where(small, b[2:] * rng.uniform(0.15, 0.5, size=(n, 2)), wh)
        cand = np.concatenate([c - 0.5 * wh, wh], axis=1)
        boxes[todo] = cand
        ious[todo] = iou_xywh(cand, b[None])
        ok = ious[todo] > min_iou
        todo = todo[~ok]
        if todo.size == 0:
            break
        sigma[todo] *= 0.9
    return boxes, ious


def sample_box_proposals(
    box: np.ndarray | Sequence[float],
    boxes_per_frame: int,
    min_iou: float,
    sigma_factor: float | Sequence[float],
    rng: np.random.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """ATOM proposals for one frame: ``(proposals [boxes_per_frame, 4] xywh, 2*IoU - 1 [boxes_per_frame])`` float32."""
    boxes, ious = perturb_box(box, min_iou, sigma_factor, rng, num_boxes=boxes_per_frame)
    return torch.from_numpy(boxes.astype(np.float32)), torch.from_numpy((2.0 * ious - 1.0).astype(np.float32))
