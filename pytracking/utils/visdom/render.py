"""Turn the data a tracker registers into something a screen can show, independent of where it is shown.

Why a separate layer: the same block (score map, frame with boxes, loss curve) goes to visdom, to a matplotlib window
or to PNG files in a folder. Converting once here keeps the three outputs identical and lets the conversions be tested
without a server. Everything returns plain numpy/str; tensors are copied to the CPU only here, i.e. only for blocks
that are actually shown.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

__all__ = [
    "MODES",
    "Rendered",
    "RenderError",
    "bbreg_image",
    "draw_boxes",
    "featmap_grid",
    "heatmap_array",
    "info_html",
    "lineplot_arrays",
    "render",
    "to_image",
    "to_numpy",
    "tracking_image",
]

MODES = ("image", "heatmap", "info_dict", "text", "lineplot", "Tracking", "bbreg", "featmap")

PRED_COLOR = (255, 40, 40)  # RGB red: the tracker's box
GT_COLOR = (40, 220, 40)  # RGB green: ground truth
INIT_COLOR = (60, 120, 255)  # RGB blue: IoU-Net initial (jittered) boxes
REFINED_COLOR = (255, 220, 0)  # RGB yellow: IoU-Net refined boxes
MAX_TRACKING_SIDE = 480  # longer side of the Tracking image (keeps the browser responsive)
MAX_HEATMAP_SIDE = 160  # score maps are reduced (area average) to at most this many cells per side for transport
FEATMAP_MAX_CHANNELS = 16


class RenderError(ValueError):
    """The data registered for a debug block does not have the form its mode expects."""


@dataclass(frozen=True)
class Rendered:
    """A block ready to show.

    ``kind``: ``'image'`` (HxWx3 uint8 RGB), ``'heatmap'`` (HxW float64, row 0 = top), ``'line'`` (``(x, y)`` with
    ``y`` of shape [N] or [N, K]), ``'html'`` (str). ``caption``: short text shown with the block.
    """

    kind: str
    value: Any
    caption: str = ""


def to_numpy(value: Any) -> np.ndarray:
    """A numpy array from a tensor (copied to the CPU, detached), list or array."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def to_image(value: Any, where: str = "image") -> np.ndarray:
    """HxWx3 uint8 RGB from HxWx3/HxW arrays or [3,H,W]/[1,3,H,W] tensors (float 0-1 or 0-255, or uint8)."""
    arr = to_numpy(value)
    while arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 3 and arr.shape[0] in (1, 3) and arr.shape[-1] not in (1, 3):
        arr = np.transpose(arr, (1, 2, 0))
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise RenderError(f"{where}: expected an RGB image HxWx3 or a [3,H,W] tensor, got shape {arr.shape}")
    if arr.dtype == np.uint8:
        return np.ascontiguousarray(arr)
    arr = arr.astype(np.float64)
    finite = arr[np.isfinite(arr)]
    if finite.size and finite.max() <= 1.0 and finite.min() >= 0.0:
        arr = arr * 255.0
    return np.ascontiguousarray(np.clip(np.nan_to_num(arr), 0, 255).round().astype(np.uint8))


def _as_boxes(value: Any, where: str) -> np.ndarray:
    """[N, 4] float64 ``[x, y, w, h]`` boxes from one box or a list/array/tensor of boxes (None -> empty)."""
    if value is None:
        return np.zeros((0, 4))
    arr = to_numpy(value).astype(np.float64)
    if arr.size == 0:
        return np.zeros((0, 4))
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] < 4:
        raise RenderError(f"{where}: boxes must be [x, y, w, h] or [N, 4], got shape {arr.shape}")
    return arr[:, :4]


def draw_boxes(image: np.ndarray, boxes: np.ndarray, color: tuple[int, int, int], thickness: int = 2) -> np.ndarray:
    """Draw ``[x, y, w, h]`` boxes (rows with NaN or non-positive size are skipped) on a copy of ``image``."""
    out = image.copy()
    for x, y, w, h in boxes:
        if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(w) and math.isfinite(h)) or w <= 0 or h <= 0:
            continue
        p0 = (int(round(x)), int(round(y)))
        p1 = (int(round(x + w - 1)), int(round(y + h - 1)))
        cv2.rectangle(out, p0, p1, color, thickness)
    return out


def _resize_longer_side(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale >= 1.0:
        return image, 1.0
    size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def tracking_image(image: Any, boxes: Any, gt_box: Any = None, max_side: int = MAX_TRACKING_SIDE) -> np.ndarray:
    """The frame (longer side <= ``max_side``) with the predicted box(es) in red and the ground truth in green.

    Boxes are drawn after resizing so the lines stay 2 px wide whatever the frame size.
    """
    frame, scale = _resize_longer_side(to_image(image, "Tracking image"), max_side)
    pred = _as_boxes(boxes, "Tracking box") * scale
    gt = _as_boxes(gt_box, "Tracking ground truth") * scale
    frame = draw_boxes(frame, gt, GT_COLOR)
    return draw_boxes(frame, pred, PRED_COLOR)


def bbreg_image(image: Any, init_boxes: Any, refined_boxes: Any = None,
                max_side: int = MAX_TRACKING_SIDE) -> np.ndarray:
    """The IoU-Net's view: initial (jittered) boxes in blue, refined boxes in yellow, on the (sample) image."""
    frame, scale = _resize_longer_side(to_image(image, "bbreg image"), max_side)
    frame = draw_boxes(frame, _as_boxes(init_boxes, "bbreg initial boxes") * scale, INIT_COLOR, 1)
    return draw_boxes(frame, _as_boxes(refined_boxes, "bbreg refined boxes") * scale, REFINED_COLOR, 2)


def heatmap_array(value: Any, max_side: int = MAX_HEATMAP_SIDE) -> np.ndarray:
    """A 2-D float64 map (row 0 = top), area-averaged down to at most ``max_side`` cells per side."""
    arr = to_numpy(value).astype(np.float64)
    arr = np.squeeze(arr)
    if arr.ndim != 2:
        raise RenderError(f"heatmap: expected a 2-D map (singleton dims allowed), got shape {to_numpy(value).shape}")
    arr = np.nan_to_num(arr)
    h, w = arr.shape
    if max(h, w) > max_side:
        scale = max_side / max(h, w)
        arr = cv2.resize(arr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return arr


def colorize(arr: np.ndarray, min_side: int = 0) -> np.ndarray:
    """RGB uint8 picture of a 2-D map (min..max -> jet colour map), enlarged (nearest) to ``min_side`` if smaller."""
    lo, hi = float(arr.min()), float(arr.max())
    norm = np.zeros_like(arr) if hi <= lo else (arr - lo) / (hi - lo)
    rgb = cv2.cvtColor(cv2.applyColorMap((norm * 255).round().astype(np.uint8), cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    if min_side and max(h, w) < min_side:
        f = int(math.ceil(min_side / max(h, w)))
        rgb = cv2.resize(rgb, (w * f, h * f), interpolation=cv2.INTER_NEAREST)
    return rgb


def featmap_grid(value: Any, max_channels: int = FEATMAP_MAX_CHANNELS, cell: int = 64) -> np.ndarray:
    """The first ``max_channels`` channels of a [C,H,W] / [1,C,H,W] / [H,W] map, each normalised on its own and
    tiled in a near-square grid of ``cell``-pixel colour tiles (RGB uint8)."""
    arr = to_numpy(value).astype(np.float64)
    while arr.ndim > 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim != 3:
        raise RenderError(f"featmap: expected [C,H,W] (or [1,C,H,W], [H,W]), got shape {to_numpy(value).shape}")
    chans = arr[:max_channels]
    cols = int(math.ceil(math.sqrt(len(chans))))
    rows = int(math.ceil(len(chans) / cols))
    grid = np.zeros((rows * cell, cols * cell, 3), np.uint8)
    for i, ch in enumerate(chans):
        tile = cv2.resize(colorize(np.nan_to_num(ch)), (cell, cell), interpolation=cv2.INTER_NEAREST)
        r, c = divmod(i, cols)
        grid[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell] = tile
    return grid


def _fmt(value: Any) -> str:
    if hasattr(value, "detach"):
        value = to_numpy(value)
    if isinstance(value, np.ndarray):
        value = value.item() if value.size == 1 else value.tolist()
    if isinstance(value, float | np.floating):
        return f"{float(value):.4g}"
    return str(value)


def info_html(info: Mapping[str, Any]) -> str:
    """A small HTML table ``key: value`` (floats with 4 significant digits, text escaped)."""
    if not isinstance(info, Mapping):
        raise RenderError(f"info_dict: expected a dict, got {type(info).__name__}")
    rows = "".join(f"<tr><td><b>{html.escape(str(k))}</b></td><td>{html.escape(_fmt(v))}</td></tr>"
                   for k, v in info.items())
    return f"<table>{rows}</table>"


def lineplot_arrays(value: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` from ``y`` ([N] or [N, K] for K curves) or a pair ``(x, y)``; x defaults to 0..N-1."""
    if isinstance(value, tuple | list) and len(value) == 2 and not np.isscalar(value[0]):
        x, y = to_numpy(value[0]).astype(np.float64).reshape(-1), to_numpy(value[1]).astype(np.float64)
    else:
        y = to_numpy(value).astype(np.float64)
        x = np.arange(y.shape[0] if y.ndim else 0, dtype=np.float64)
    if y.ndim == 0:
        y = y.reshape(1)
        x = np.zeros(1)
    if y.ndim > 2 or y.shape[0] != x.shape[0]:
        raise RenderError(f"lineplot: expected y [N] or [N, K] with N x values, got x {x.shape}, y {y.shape}")
    return x, y


def render(mode: str, data: Any, title: str = "") -> Rendered:
    """Convert ``data`` registered with ``mode`` (one of :data:`MODES`) for display.

    Expected data: ``image`` an image; ``heatmap`` a 2-D map; ``info_dict`` a dict; ``text`` a string; ``lineplot``
    ``y`` or ``(x, y)``; ``Tracking`` ``(image, box_or_boxes[, gt_box])``; ``bbreg`` ``(image, init_boxes[,
    refined_boxes])``; ``featmap`` a [C,H,W] feature map.
    """
    where = f"debug block {title!r} ({mode})"
    try:
        if mode == "image":
            return Rendered("image", to_image(data, where))
        if mode == "heatmap":
            return Rendered("heatmap", heatmap_array(data))
        if mode == "info_dict":
            return Rendered("html", info_html(data))
        if mode == "text":
            return Rendered("html", f"<pre>{html.escape(str(data))}</pre>")
        if mode == "lineplot":
            return Rendered("line", lineplot_arrays(data))
        if mode in ("Tracking", "bbreg"):
            if not isinstance(data, Sequence) or isinstance(data, str) or len(data) not in (2, 3):
                raise RenderError(f"{where}: expected a tuple (image, boxes[, second boxes])")
            parts = list(data) + [None] * (3 - len(data))
            fn = tracking_image if mode == "Tracking" else bbreg_image
            return Rendered("image", fn(parts[0], parts[1], parts[2]))
        if mode == "featmap":
            return Rendered("image", featmap_grid(data))
    except RenderError:
        raise
    except (TypeError, ValueError) as exc:
        raise RenderError(f"{where}: {exc}") from exc
    raise RenderError(f"{where}: unknown mode {mode!r} (expected one of {', '.join(MODES)})")
