"""Where the pytracking and the OTB-toolkit conventions agree and differ, frame by frame (values by hand)."""

from __future__ import annotations

import numpy as np
import pytest

from pytracking.analysis.conventions import InvalidPredictionError, frame_errors
from pytracking.analysis.results import EvalResult

NAN = np.nan
# frame 0 valid, 1 valid, 2 GT all zero (invalid), 3 valid, 4 GT NaN (unannotated)
GT = np.array([[10, 10, 10, 10], [10, 10, 10, 10], [0, 0, 0, 0], [10, 10, 10, 10], [NAN] * 4], dtype=float)
PRED = np.array([[0, 0, 5, 5],  # replaced by the GT (first frame)
                 [15, 10, 10, 10],  # shares pixels 15..19 x 10..19: 50 / 150; centre 5 px right
                 [10, 10, 10, 10],
                 [10, 10, 0, 10],  # zero width: takes frame 2's prediction -> IoU 1
                 [10, 10, 10, 10]], dtype=float)


def _errors(convention: str, dataset: str = "otb", pred=PRED, gt=GT, **kw):
    return frame_errors(pred, gt, [len(gt)], dataset=dataset, convention=convention, **kw)


def test_pytracking_convention_invalid_frames_fail_precision() -> None:
    e = _errors("pytracking")
    assert e.overlap == pytest.approx([1.0, 1 / 3, -1.0, 1.0, -1.0])
    assert e.center.tolist() == [0.0, 5.0, np.inf, 0.0, np.inf]
    assert e.norm_center == pytest.approx([0.0, 0.5, -1.0, 0.0, -1.0])  # invalid frames pass normalised precision
    assert e.denominators.tolist() == [5.0]
    success, precision, _ = e.curves()
    assert precision[0, 20] == pytest.approx(3 / 5)  # frames 0, 1, 3
    assert success[0, 10] == pytest.approx(2 / 5)  # frames 0 and 3 (1/3 is not > 0.5)
    assert success[0, 6] == pytest.approx(3 / 5)  # 1/3 > 0.3


def test_normalised_precision_values() -> None:
    _, _, norm_precision = _errors("pytracking").curves()
    assert norm_precision[0, 20] == pytest.approx(4 / 5)  # 0, -1, 0, -1 pass; 0.5 fails
    assert norm_precision[0, 50] == pytest.approx(1.0)  # 0.5 <= 0.5


def test_uav_counts_invalid_frames_as_precision_successes() -> None:
    e = _errors("pytracking", dataset="uav")
    assert e.center.tolist() == [0.0, 5.0, -1.0, 0.0, -1.0]
    assert e.curves()[1][0, 20] == pytest.approx(1.0)


def test_otb_toolkit_convention_invalid_frames() -> None:
    e = _errors("otb-toolkit")
    assert e.overlap == pytest.approx([1.0, 1 / 3, -1.0, 1.0, -1.0])
    assert e.center.tolist() == [0.0, 5.0, -1.0, 0.0, -1.0]  # -1: a precision success at every threshold
    eps = np.finfo(float).eps
    assert e.denominators[0] == 5 + eps  # the toolkit divides by len + eps
    assert e.curves()[1][0, 0] == pytest.approx(4 / 5)


def test_exclude_invalid_frames_shrinks_the_denominator() -> None:
    e = _errors("pytracking", exclude_invalid_frames=True)
    assert e.denominators.tolist() == [3.0]
    assert e.overlap == pytest.approx([1.0, 1 / 3, 1.0])
    assert e.curves()[0][0, 10] == pytest.approx(2 / 3)


def test_negative_or_nan_predictions() -> None:
    bad = PRED.copy()
    bad[2, 3] = -4
    with pytest.raises(InvalidPredictionError, match="row 2"):
        _errors("pytracking", pred=bad)
    # the toolkit replaces a non-positive size by the previous box instead of failing
    e = _errors("otb-toolkit", pred=bad)
    assert e.overlap[2] == -1.0  # frame 2's GT is invalid anyway
    # an all-NaN row with valid GT is replaced by the previous row too; pytracking refuses it
    nan_row = PRED.copy()
    nan_row[3] = NAN
    e = _errors("otb-toolkit", pred=nan_row)
    assert e.overlap[3] == pytest.approx(1.0)  # took frame 2's [10, 10, 10, 10]
    with pytest.raises(InvalidPredictionError):
        _errors("pytracking", pred=nan_row)
    # a partly-NaN row is not replaced by the toolkit (its test needs all four values flagged): a failure
    partial = PRED.copy()
    partial[3] = [NAN, 10, 10, 10]
    e = _errors("otb-toolkit", pred=partial)
    assert np.isnan(e.overlap[3]) and e.curves()[0][0, 0] == pytest.approx(2 / 5)  # frames 0 and 1


def test_replacement_uses_the_raw_previous_row_and_chains() -> None:
    gt = np.array([[10, 10, 10, 10], [1, 1, 5, 5]], dtype=float)
    pred = np.array([[1, 1, 5, 5], [0, 0, 0, 0]], dtype=float)
    for conv in ("pytracking", "otb-toolkit"):
        # frame 1 takes frame 0's *prediction* (not frame 0's GT): IoU([1,1,5,5], [1,1,5,5]) = 1
        assert _errors(conv, pred=pred, gt=gt).overlap[1] == pytest.approx(1.0)


def test_toolkit_keeps_bad_rows_where_gt_is_nan() -> None:
    gt = np.array([[10, 10, 10, 10], [NAN] * 4, [10, 10, 10, 10]], dtype=float)
    pred = np.array([[10, 10, 10, 10], [10, 10, 0, 0], [0, 0, 0, 0]], dtype=float)
    # toolkit: row 1 is kept (GT NaN), row 2 takes row 1 = [10, 10, 0, 0] -> IoU 0
    assert _errors("otb-toolkit", pred=pred, gt=gt).overlap.tolist() == [1.0, -1.0, 0.0]
    # pytracking: every zero-size row is replaced, so row 2 chains back to row 0 -> IoU 1
    assert _errors("pytracking", pred=pred, gt=gt).overlap.tolist() == [1.0, -1.0, 1.0]


def test_lasot_visibility() -> None:
    gt = np.array([[10, 10, 10, 10], [10, 10, 10, 10], [10, 10, 10, 10], [0, 5, 10, 10]], dtype=float)
    pred = gt.copy()
    pred[3] = [1, 5, 10, 10]
    visible = np.array([True, True, False, True])
    e = _errors("pytracking", dataset="lasot", pred=pred, gt=gt, visible=visible)
    assert e.overlap.tolist() == [1.0, 1.0, -1.0, -1.0]
    # invisible frame 2 fails both precision metrics; frame 3 (invalid GT, visible) fails precision only
    assert e.center.tolist() == [0.0, 0.0, np.inf, np.inf]
    assert e.norm_center.tolist() == [0.0, 0.0, np.inf, -1.0]


def test_padded_rows_stay_failures() -> None:
    gt = np.tile([10.0, 10, 10, 10], (4, 1))
    pred = gt.copy()
    pred[2:] = 0
    padded = np.array([False, False, True, True])
    e = _errors("pytracking", pred=pred, gt=gt, padded=padded)
    assert e.overlap.tolist() == [1.0, 1.0, 0.0, 0.0]  # not filled from frame 1


def _result(convention: str) -> EvalResult:
    success = np.zeros((1, 3, 21))
    success[0, 0] = 1.0
    success[0, 1] = 0.5
    precision = np.zeros((1, 3, 51))
    precision[0, :2] = 1.0
    return EvalResult("otb", convention, ["T"], ["a", "b", "zero"], success, precision, precision.copy(),
                      np.array([np.nan]))


def test_toolkit_drops_all_zero_sequences_from_the_average() -> None:
    # sequence 'zero' has an all-zero curve: the toolkit's aa(sum(aa,2)>eps,:) leaves it out
    assert _result("otb-toolkit").scores()["T"]["AUC"] == pytest.approx(0.75)
    assert _result("otb-toolkit").scores()["T"]["Precision"] == pytest.approx(1.0)
    assert _result("pytracking").scores()["T"]["AUC"] == pytest.approx(0.5)
    assert _result("pytracking").scores()["T"]["Precision"] == pytest.approx(2 / 3)
    # normalised precision is not a toolkit metric: plain mean in both conventions
    assert _result("otb-toolkit").scores()["T"]["Norm. Precision"] == pytest.approx(2 / 3)
