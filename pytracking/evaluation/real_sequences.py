"""The six real development sequences of ``../shared/data`` and OTB-style scores of one tracked sequence.

Why one place: the demo, the accuracy benchmark and the real-behaviour tests all track the same short real videos
(OTB Couple, Crossing, Football1; VOT bag; LaSOT motorcycle-9; UAV123@10fps wakeboard7) through the project's own
dataset readers and score them the same way: success AUC over the 21 IoU thresholds 0, 0.05, ..., 1 and precision
at 20 px centre error, the first frame counted as its ground truth (it is the initialisation).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pytracking.analysis import metrics
from pytracking.evaluation.data import SequenceList
from pytracking.evaluation.datasets import get_dataset

__all__ = ["DEV_SEQUENCES", "SequenceScore", "default_shared_data", "load_dev_sequences", "score_sequence"]

# (dataset registry name, folder under the shared data root, sequence name)
DEV_SEQUENCES: tuple[tuple[str, str, str], ...] = (
    ("otb", "otb", "Couple"),
    ("otb", "otb", "Crossing"),
    ("otb", "otb", "Football1"),
    ("vot", "vot", "bag"),
    ("lasot", "lasot", "motorcycle-9"),
    ("uav10fps", "uav", "wakeboard7"),
)


def default_shared_data() -> Path:
    """``<repo>/../shared/data`` (where CI and these machines keep the real test data)."""
    return Path(__file__).resolve().parents[2].parent / "shared" / "data"


def load_dev_sequences(root: str | Path | None = None, names: list[str] | None = None) -> SequenceList:
    """The dev sequences under ``root`` (default :func:`default_shared_data`), optionally only ``names``.

    Raises:
        FileNotFoundError: ``root`` is not a folder (names it).
        ValueError: a name in ``names`` is not a dev sequence.
    """
    root = Path(root) if root is not None else default_shared_data()
    if not root.is_dir():
        raise FileNotFoundError(f"real sequence folder {root} not found (expected ../shared/data beside the checkout)")
    known = [s for _, _, s in DEV_SEQUENCES]
    unknown = [n for n in names or [] if n not in known]
    if unknown:
        raise ValueError(f"unknown dev sequence(s) {unknown}; known: {known}")
    out = SequenceList()
    for dataset, folder, seq in DEV_SEQUENCES:
        if names is None or seq in names:
            out += get_dataset(dataset, sequences=[seq], root=root / folder, report=None)
    return out


@dataclass(frozen=True)
class SequenceScore:
    """OTB-style scores of one sequence: curves over the standard thresholds and the two summary numbers."""

    success: np.ndarray  # [21] success rate at IoU > 0, 0.05, ..., 1
    precision: np.ndarray  # [51] precision at centre error <= 0, 1, ..., 50 px
    auc: float
    precision20: float


def score_sequence(pred: np.ndarray, gt: np.ndarray) -> SequenceScore:
    """Scores of ``pred`` against ``gt`` (``[N, 4]`` ``[x, y, w, h]``; frames beyond the shorter one are ignored).

    IoU counts pixels ``x .. x+w-1`` inclusive; a prediction with no defined IoU or centre counts as a failure.
    """
    pred = np.array(pred, np.float64)
    gt = np.asarray(gt, np.float64)
    n = min(len(pred), len(gt))
    pred, gt = pred[:n].copy(), gt[:n]
    pred[0] = gt[0]
    iou = metrics.box_iou(pred, gt, inclusive=True)
    iou = np.where(np.isnan(iou), -1.0, iou)
    err = metrics.center_error(pred, gt)
    seq, den = np.zeros(n, dtype=np.int64), np.array([n])
    success = metrics.success_curves(iou, seq, den)[0]
    precision = metrics.precision_curves(err, seq, den)[0]
    return SequenceScore(success, precision, float(metrics.auc(success)), float(precision[20]))
