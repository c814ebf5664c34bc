"""Per-frame errors and curves against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from pytracking.analysis import metrics
from pytracking.analysis.conventions import matlab_colon


def test_iou_inclusive_pixels_by_hand() -> None:
    pred = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 4, 4], [2, 3, 5, 7]])
    gt = np.array([[5, 0, 10, 10], [0, 0, 10, 10], [10, 0, 10, 10], [9, 0, 10, 10], [1, 1, 4, 4], [2, 3, 5, 7]])
    # pixels 5..9 x 0..9 shared = 50; 1 column shared when x=9 (pixel 9); pixels 1..3 x 1..3 = 9
    want = [50 / 150, 1.0, 0.0, 10 / 190, 9 / 23, 1.0]
    assert metrics.box_iou(pred, gt) == pytest.approx(want, abs=1e-15)
    # with area = w*h the continuous formula gives the same numbers (the +1s cancel); kept explicit anyway
    assert metrics.box_iou(pred, gt, inclusive=False) == pytest.approx(want, abs=1e-15)


def test_center_errors_by_hand() -> None:
    pred = np.array([[0, 0, 10, 10], [0, 0, 11, 10]], dtype=float)
    gt = np.array([[3, 4, 10, 10], [0, 0, 10, 10]], dtype=float)
    # centres x + (w-1)/2: (4.5, 4.5) vs (7.5, 8.5) -> 3-4-5 triangle; (5, 4.5) vs (4.5, 4.5) -> 0.5
    assert metrics.center_error(pred, gt) == pytest.approx([5.0, 0.5])
    # normalised by the GT size per axis: (3/10, 4/10) -> 0.5 ; (0.5/10, 0) -> 0.05
    assert metrics.normalized_center_error(pred, gt) == pytest.approx([0.5, 0.05])


def test_success_curve_auc_and_op_by_hand() -> None:
    overlaps = np.array([1.0, 0.5, 0.25, -1.0])
    seq = np.zeros(4, dtype=np.int64)
    curve = metrics.success_curves(overlaps, seq, [4])[0]
    # frames above threshold k/20: 1.0 for k <= 19 (20 thresholds), 0.5 for k <= 9, 0.25 for k <= 4, -1 never
    want = np.array([(k < 20) + (k < 10) + (k < 5) for k in range(21)]) / 4
    assert curve == pytest.approx(want)
    assert metrics.auc(curve) == pytest.approx(35 / 84)
    assert curve[metrics.OP50_INDEX] == pytest.approx(0.25)  # 0.5 is not > 0.5
    assert curve[metrics.OP75_INDEX] == pytest.approx(0.25)


def test_precision_curve_by_hand() -> None:
    errors = np.array([0.0, 20.0, 20.5, np.inf, -1.0, np.nan])
    curve = metrics.precision_curves(errors, np.zeros(6, dtype=np.int64), [6])[0]
    assert curve[0] == pytest.approx(2 / 6)  # 0 and -1
    assert curve[19] == pytest.approx(2 / 6)
    assert curve[metrics.PRECISION_INDEX] == pytest.approx(3 / 6)  # 20 <= 20
    assert curve[21] == pytest.approx(4 / 6) and curve[50] == pytest.approx(4 / 6)  # inf and NaN never count


def test_curves_keep_sequences_apart() -> None:
    overlaps = np.array([0.9, 0.9, 0.1, 0.3, 0.3])
    starts = np.array([0, 2])
    seq = metrics.sequence_ids(starts, 5)
    assert seq.tolist() == [0, 0, 1, 1, 1]
    curves = metrics.success_curves(overlaps, seq, [2, 3])
    assert curves[0, 10] == pytest.approx(1.0) and curves[1, 10] == pytest.approx(0.0)
    assert curves[1, 2] == pytest.approx(2 / 3)  # 0.3 > 0.1, 0.1 is not > 0.1
    assert curves[1, 1] == pytest.approx(1.0)  # all > 0.05


def test_thresholds_exact_values_and_fast_bins_match_binary_search() -> None:
    assert metrics.SUCCESS_THRESHOLDS[3] == 0.15 and metrics.SUCCESS_THRESHOLDS[12] == 0.6
    # an overlap of exactly 3/20 is not above the 0.15 threshold
    counts = metrics.success_counts(np.array([3 / 20]), np.zeros(1, dtype=np.int64), 1)[0]
    assert counts[2] == 1 and counts[3] == 0
    rng = np.random.default_rng(0)
    for grid in (metrics.SUCCESS_THRESHOLDS, matlab_colon(0, 0.05, 1), metrics.PRECISION_THRESHOLDS,
                 metrics.NORM_PRECISION_THRESHOLDS, np.linspace(0, 1, 21)):
        values = np.concatenate([rng.uniform(-1, grid[-1] * 1.2, 5000), grid, np.nextafter(grid, 9),
                                 np.nextafter(grid, -9), [-np.inf, np.inf, -1.0]])
        assert np.array_equal(metrics._below_counts(values, grid), np.searchsorted(grid, values, side="left"))


def test_matlab_colon_matches_its_rounding() -> None:
    thr = matlab_colon(0.0, 0.05, 1.0)
    assert len(thr) == 21 and thr[0] == 0.0 and thr[-1] == 1.0
    assert thr[3] == 3 * 0.05  # first half counted up from the start ...
    assert thr[18] == 1.0 - 2 * 0.05  # ... second half down from the end


def test_forward_fill_within_sequences() -> None:
    boxes = np.arange(20, dtype=float).reshape(5, 4)
    replace = np.array([False, True, True, True, False])
    out = metrics.forward_fill(boxes, replace, np.array([0, 3]))
    # rows 1, 2 take row 0; row 3 starts a new sequence and is kept
    assert out[:, 0].tolist() == [0, 0, 0, 12, 16]


def test_got10k_scores_by_hand() -> None:
    gt = [np.array([[0, 0, 10, 10]] * 3, dtype=float), np.array([[0, 0, 10, 10]] * 2, dtype=float)]
    pred = [np.array([[50, 50, 1, 1], [0, 0, 10, 10], [0, 0, 10, 6]], dtype=float),
            np.array([[0, 0, 10, 10], [20, 20, 5, 5]], dtype=float)]
    # frame 0 excluded; IoUs 1.0, 0.6 and 0.0 pooled over frames
    s = metrics.got10k_scores(pred, gt)
    assert s["AO"] == pytest.approx(1.6 / 3) and s["SR50"] == pytest.approx(2 / 3)
    assert s["SR75"] == pytest.approx(1 / 3)
    # cover flags drop the 0.6 frame; clipping to a 8x8 image turns [0,0,10,10] vs [0,0,10,6] into 8x8 vs 8x6
    s = metrics.got10k_scores(pred, gt, covers=[np.array([1, 1, 0]), np.array([1, 1])])
    assert s["AO"] == pytest.approx(0.5)
    s = metrics.got10k_scores(pred[:1], gt[:1], image_sizes=[(8, 8)])
    assert s["AO"] == pytest.approx((1.0 + 48 / 64) / 2)
