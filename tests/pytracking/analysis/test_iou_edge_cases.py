"""IoU / overlap functions on the boxes that break careless implementations: overlap on one axis only (the other
axis's negative "overlap" must be clipped, not multiplied in), boxes touching at an edge, containment, degenerate
boxes. Expected values are worked out by hand below each case.

Functions: the evaluation metric (``metrics.box_iou``, both pixel conventions), the training proposals'
``processing_utils.iou_xywh`` (numpy and torch) and GOT-10k's AO (``metrics.got10k_scores``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ltr.data.processing_utils import iou_xywh
from pytracking.analysis.metrics import box_iou, got10k_scores

A = [0.0, 0.0, 10.0, 10.0]
# (name, box, IoU with A in continuous/exclusive coordinates, IoU with the inclusive pixel convention)
CASES = [
    # x ranges overlap by 5, y ranges are 10 apart: intersection 0 (unclipped: 5 * -10 = -50)
    ("x overlap only", [5.0, 20.0, 10.0, 10.0], 0.0, 0.0),
    # y overlap only, mirrored
    ("y overlap only", [20.0, 5.0, 10.0, 10.0], 0.0, 0.0),
    # both axes disjoint (unclipped: -10 * -10 = +100, an IoU of 1)
    ("disjoint", [20.0, 20.0, 10.0, 10.0], 0.0, 0.0),
    # shares the edge x = 10 (continuous); pixel columns 0..9 vs 10..19 (inclusive): no overlap either way
    ("touching", [10.0, 0.0, 10.0, 10.0], 0.0, 0.0),
    # 4x5 inside A: 20 / 100 in both conventions
    ("contained", [2.0, 3.0, 4.0, 5.0], 0.2, 0.2),
    # A inside a 20x20 box: 100 / 400
    ("containing", [-5.0, -5.0, 20.0, 20.0], 0.25, 0.25),
    # 5x5 corner overlap: 25 / (100 + 100 - 25)
    ("corner", [5.0, 5.0, 10.0, 10.0], 25 / 175, 25 / 175),
    # zero width inside A: intersection 0, union 100
    ("zero width", [3.0, 3.0, 0.0, 5.0], 0.0, 0.0),
]


@pytest.mark.parametrize(("name", "box", "iou_cont", "iou_incl"), CASES, ids=[c[0] for c in CASES])
def test_box_iou_both_conventions(name, box, iou_cont, iou_incl):
    a, b = np.array([A]), np.array([box])
    assert box_iou(b, a, inclusive=False)[0] == pytest.approx(iou_cont, abs=1e-12)
    assert box_iou(b, a, inclusive=True)[0] == pytest.approx(iou_incl, abs=1e-12)
    assert box_iou(a, b, inclusive=False)[0] == pytest.approx(iou_cont, abs=1e-12)  # symmetric


@pytest.mark.parametrize(("name", "box", "iou_cont", "iou_incl"), CASES, ids=[c[0] for c in CASES])
def test_training_proposal_iou_numpy_and_torch(name, box, iou_cont, iou_incl):
    assert float(iou_xywh(np.array(box), np.array(A))) == pytest.approx(iou_cont, abs=1e-12)
    got = iou_xywh(torch.tensor([box], dtype=torch.float64), torch.tensor([A], dtype=torch.float64))
    assert float(got[0]) == pytest.approx(iou_cont, abs=1e-12)


def test_empty_union():
    point = [3.0, 3.0, 0.0, 0.0]
    assert float(iou_xywh(np.array(point), np.array(point))) == 0.0  # defined as 0, not NaN
    assert math.isnan(box_iou(np.array([point]), np.array([point]), inclusive=False)[0])  # metric: undefined


def test_got10k_ao_on_edge_cases():
    """Frame 0 is excluded; every other frame counts once: AO = mean of the continuous IoUs above."""
    preds = [np.array([A] + [c[1] for c in CASES] + [[3.0, 3.0, 0.0, 0.0]])]
    gts = [np.array([A] * (len(CASES) + 2))]
    scores = got10k_scores(preds, gts)
    expected = (0.2 + 0.25 + 25 / 175) / (len(CASES) + 1)  # the empty box scores 0
    assert scores["AO"] == pytest.approx(expected, abs=1e-12)
    assert scores["SR50"] == 0.0 and scores["SR75"] == 0.0
    # GOT-10k's clipping to the image (width 8, height 100) moves x, y into the image, then cuts w, h to what is
    # left: A becomes 8x10 at (0, 0), the containing box 8x20 at (0, 0) (moved, not cut by the 5 px): IoU 80 / 160
    clipped = got10k_scores([np.array([A, [-5.0, -5.0, 20.0, 20.0]])], [np.array([A, A])], image_sizes=[(8, 100)])
    assert clipped["AO"] == pytest.approx(80 / 160, abs=1e-12)
