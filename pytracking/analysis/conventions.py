"""Evaluation conventions: how raw predictions and ground truth become per-frame errors.

Two conventions are implemented; they agree on the IoU / centre formulas (inclusive pixels, see
:mod:`pytracking.analysis.metrics`) and on "frame 1's prediction is the ground truth", and differ in the rest:

================================  ====================================  ======================================
                                  ``pytracking`` (default)              ``otb-toolkit`` (MATLAB OTB toolkit)
================================  ====================================  ======================================
bad prediction rows               NaN or negative w/h: error naming     NaN (all four values) or w <= 0 or
                                  file and line; w == 0 or h == 0:      h <= 0, while the GT row has no NaN:
                                  replaced by the previous row          replaced by the previous row
valid GT frame                    x, y, w, h all > 0 (NaN invalid);     x, y, w, h all > 0 (NaN invalid)
                                  LaSOT: and the target visible
invalid frame: overlap            -1 (fails every success threshold)    -1
invalid frame: centre error       +inf (fails precision); UAV: -1       -1 (precision success), any dataset
                                  (success, as the UAV toolkit does)
invalid frame: norm. centre err.  -1 (success), every dataset           -1 (the toolkit has no such metric)
LaSOT invisible frames            +inf for both precision metrics       not used (no visibility input)
per-sequence denominator          frames (valid frames with             frames + eps (the toolkit divides by
                                  ``exclude_invalid_frames``)           ``len + eps``)
success thresholds                k/20 (exact)                          MATLAB ``0:0.05:1`` (its rounding)
averaging over sequences          every sequence                        sequences whose curve is all zero are
                                                                        dropped (``aa(sum(aa,2)>eps,:)``)
================================  ====================================  ======================================

The last row is applied when curves are averaged (:meth:`pytracking.analysis.results.EvalResult.mean_curves`); the
rest happens here, vectorised over all frames of all sequences of one tracker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ltr.admin.errors import UserError
from pytracking.analysis import metrics

__all__ = [
    "CONVENTIONS",
    "FrameErrors",
    "InvalidPredictionError",
    "check_convention",
    "dataset_family",
    "frame_errors",
    "matlab_colon",
    "success_thresholds",
]

CONVENTIONS = ("pytracking", "otb-toolkit")
_EPS = float(np.finfo(np.float64).eps)


class InvalidPredictionError(UserError, ValueError):
    """A prediction row is NaN or has a negative size (pytracking convention). ``row`` is 0-based in the array."""

    def __init__(self, message: str, row: int):
        super().__init__(message)
        self.row = row


def check_convention(convention: str) -> str:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; choose one of {', '.join(CONVENTIONS)}")
    return convention


def dataset_family(dataset: str) -> str:
    """'uav' for UAV123 variants, 'lasot' for LaSOT variants, else the lower-case name (rules depend on it)."""
    name = dataset.lower()
    if name.startswith("uav"):
        return "uav"
    if name.startswith("lasot"):
        return "lasot"
    return name


def matlab_colon(start: float, step: float, stop: float) -> np.ndarray:
    """MATLAB's ``start:step:stop`` with its rounding (first half counted up from start, second half down from
    stop), so thresholds equal the toolkit's bit for bit."""
    n = int(round((stop - start) / step))
    k = np.arange(n + 1, dtype=np.float64)
    up = start + k * step
    down = stop - (n - k) * step
    return np.where(k <= n / 2, up, down)


def success_thresholds(convention: str) -> np.ndarray:
    if check_convention(convention) == "otb-toolkit":
        return matlab_colon(0.0, 0.05, 1.0)
    return metrics.SUCCESS_THRESHOLDS


@dataclass
class FrameErrors:
    """Per-frame errors of one tracker over many sequences (frames concatenated).

    ``seq[f]`` is the sequence index of frame ``f``; ``denominators[s]`` the number each sequence's counts are
    divided by; ``valid[f]`` whether the ground truth of frame ``f`` counts as annotated.
    """

    overlap: np.ndarray
    center: np.ndarray
    norm_center: np.ndarray
    seq: np.ndarray
    denominators: np.ndarray
    valid: np.ndarray
    success_thresholds: np.ndarray

    def curves(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(success [S,21], precision [S,51], norm_precision [S,51])`` per sequence."""
        return (
            metrics.success_curves(self.overlap, self.seq, self.denominators, self.success_thresholds),
            metrics.precision_curves(self.center, self.seq, self.denominators, metrics.PRECISION_THRESHOLDS),
            metrics.precision_curves(self.norm_center, self.seq, self.denominators,
                                     metrics.NORM_PRECISION_THRESHOLDS),
        )


def _starts_of(lengths: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def frame_errors(
    pred: np.ndarray,
    gt: np.ndarray,
    lengths: np.ndarray | list[int],
    *,
    dataset: str = "otb",
    convention: str = "pytracking",
    visible: np.ndarray | None = None,
    exclude_invalid_frames: bool = False,
    padded: np.ndarray | None = None,
    columns: bool = False,
) -> FrameErrors:
    """Per-frame overlap / centre errors for row-aligned predictions and ground truth.

    Args:
        pred, gt: ``[F, 4]`` boxes of all sequences concatenated (already aligned and of equal length per
            sequence, see :mod:`pytracking.analysis.extract`).
        lengths: frames per sequence (sum = F).
        dataset: dataset name; selects the UAV / LaSOT rules (module table).
        convention: 'pytracking' or 'otb-toolkit'.
        visible: ``[F]`` target visibility (LaSOT absence flags), or None.
        exclude_invalid_frames: drop frames with invalid ground truth from the counts and denominators.
        padded: ``[F]`` True for rows a too-short result file was padded with; they stay zero boxes (failures)
            instead of being filled from the previous prediction.
        columns: ``pred`` and ``gt`` are given as ``[4, F]`` (x, y, w, h rows) instead of ``[F, 4]``; saves two
            transposes when the caller builds them that way (``gt`` is only read, ``pred`` is copied).

    Raises :class:`InvalidPredictionError` (pytracking convention) for NaN or negative-size predictions.
    """
    check_convention(convention)
    if columns:
        p = np.array(pred, dtype=np.float64, order="C")[:4]  # a copy: rows are replaced below
        g = np.ascontiguousarray(gt, dtype=np.float64)[:4]
    else:
        pred = np.asarray(pred, dtype=np.float64)
        gt = np.asarray(gt, dtype=np.float64)
        if pred.ndim != 2 or gt.ndim != 2 or pred.shape[1] < 4 or gt.shape[1] < 4:
            raise ValueError(f"predictions {pred.shape} and ground truth {gt.shape} must both be [F, 4]")
        # Work on contiguous [4, F] columns: much faster than strided [F, 4] column slices.
        p = np.array(pred[:, :4].T, order="C")  # a copy: rows are replaced below
        g = np.ascontiguousarray(gt[:, :4].T)
    lengths = np.asarray(lengths, dtype=np.int64)
    if p.shape != g.shape or p.shape[0] != 4:
        raise ValueError(f"predictions and ground truth must have the same number of frames, got {p.shape[1:]} "
                         f"and {g.shape[1:]}")
    num_frames = g.shape[1]
    if int(lengths.sum()) != num_frames:
        raise ValueError(f"sequence lengths sum to {int(lengths.sum())}, but there are {num_frames} frames")
    starts = _starts_of(lengths)
    family = dataset_family(dataset)
    seq = metrics.sequence_ids(starts, num_frames)
    nonempty = starts[lengths > 0]

    with np.errstate(invalid="ignore"):
        if convention == "pytracking":
            bad = ~np.isfinite(p).all(axis=0) | (p[2] < 0) | (p[3] < 0)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise InvalidPredictionError(
                    f"prediction row {row} is NaN/Inf or has a negative size: {p[:, row].tolist()}", row)
            replace = (p[2] == 0) | (p[3] == 0)
        else:
            # The toolkit's test `(isnan(r) | r(3)<=0 | r(4)<=0) & ~isnan(r_anno)` is element-wise and `if` needs
            # all four true: the GT row has no NaN and (w <= 0 or h <= 0 or every value NaN).
            replace = ~np.isnan(g).any(axis=0) & ((p[2] <= 0) | (p[3] <= 0) | np.isnan(p).all(axis=0))
        if padded is not None:
            padded = np.asarray(padded, dtype=bool)
            replace &= ~padded
        if replace.any():
            replace[nonempty] = False
            idx = np.where(replace, 0, np.arange(num_frames))
            np.maximum.accumulate(idx, out=idx)
            p = p[:, idx]
        if padded is not None:
            p[:, padded] = 0.0
        p[:, nonempty] = g[:, nonempty]

        valid = (g[0] > 0) & (g[1] > 0) & (g[2] > 0) & (g[3] > 0)  # NaN compares False -> invalid
    vis = None
    if family == "lasot" and visible is not None and convention == "pytracking":
        vis = np.asarray(visible, dtype=bool)
        if vis.shape != (num_frames,):
            raise ValueError(f"visible must have one flag per frame ({num_frames}), got shape {vis.shape}")
        valid &= vis

    with np.errstate(invalid="ignore", divide="ignore"):
        overlap = np.where(valid, metrics.iou_columns(p, g), -1.0)
        dx, dy, gw, gh = metrics.offsets_columns(p, g)
        center = np.sqrt(dx * dx + dy * dy)
        ndx, ndy = dx / gw, dy / gh
        norm_center = np.sqrt(ndx * ndx + ndy * ndy)
    if convention == "pytracking":
        center[~valid] = -1.0 if family == "uav" else np.inf
        norm_center[~valid] = -1.0
        if vis is not None:
            center[~vis] = np.inf
            norm_center[~vis] = np.inf
    else:
        center[~valid] = -1.0
        norm_center[~valid] = -1.0

    if exclude_invalid_frames:
        keep = valid
        overlap, center, norm_center, seq = overlap[keep], center[keep], norm_center[keep], seq[keep]
        denominators = np.bincount(seq, minlength=len(lengths)).astype(np.float64)
        valid = valid[keep]
    else:
        denominators = lengths.astype(np.float64)
    if convention == "otb-toolkit":
        denominators = denominators + _EPS
    return FrameErrors(overlap, center, norm_center, seq, denominators, valid, success_thresholds(convention))
