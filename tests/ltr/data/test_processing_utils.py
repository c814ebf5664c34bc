"""Crop/jitter/proposal helpers checked against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ltr.data import processing_utils as pu


def _coordinate_image(h: int, w: int) -> np.ndarray:
    """float32 image whose channel 0 holds the column index and channel 1 the row index of each pixel."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([xs, ys, np.zeros_like(xs)], axis=2)


def test_crop_window_by_hand() -> None:
    # sqrt(30*40) * 2 = 69.28 -> side 70; centre (25, 40) -> x1 = round(25 - 35) = -10, y1 = round(40 - 35) = 5
    assert pu.crop_window([10, 20, 30, 40], 2.0) == (-10, 5, 70)
    # sqrt(4*9) * 5 = 30 exactly -> side 30; centre (3, 7.5) -> x1 = round(-12) = -12, y1 = round(-7.5) = -8 (half-even)
    assert pu.crop_window([1, 3, 4, 9], 5.0) == (-12, -8, 30)


@pytest.mark.parametrize("box", [[30.0, 20.0, 16.0, 10.0], [-5.0, 50.0, 12.0, 20.0], [70.0, 5.0, 40.0, 30.0]])
def test_sample_target_samples_the_right_pixels(box: list[float]) -> None:
    h, w, out_sz = 60, 90, 37
    img = _coordinate_image(h, w)
    crop, crop_box, r = pu.sample_target(img, box, 3.0, out_sz)
    x1, y1, side = pu.crop_window(box, 3.0)
    assert crop.shape == (out_sz, out_sz, 3) and crop.dtype == np.float32
    np.testing.assert_array_equal(crop_box, [x1, y1, side, side])
    assert r == out_sz / side
    # hand computation: output pixel j samples source index x1 + (j + 0.5) * side / out_sz - 0.5; bilinear sampling of
    # a linear ramp is exact, the replicated border clamps it to [0, W-1]. cv2 interpolates with 1/32 pixel weights.
    j = np.arange(out_sz)
    exp_x = np.clip(x1 + (j + 0.5) * side / out_sz - 0.5, 0, w - 1)
    exp_y = np.clip(y1 + (j + 0.5) * side / out_sz - 0.5, 0, h - 1)
    np.testing.assert_allclose(crop[:, :, 0], np.broadcast_to(exp_x, (out_sz, out_sz)), atol=1 / 32 + 1e-4)
    np.testing.assert_allclose(crop[:, :, 1], np.broadcast_to(exp_y[:, None], (out_sz, out_sz)), atol=1 / 32 + 1e-4)


def test_sample_target_uint8_fully_outside_replicates_the_border() -> None:
    img = np.zeros((20, 30, 3), np.uint8)
    img[:, -1] = (10, 20, 30)  # last column
    crop, _, _ = pu.sample_target(img, [100.0, 5.0, 4.0, 4.0], 2.0, 16)  # far to the right of the image
    assert crop.shape == (16, 16, 3)
    assert np.all(crop == np.array([10, 20, 30], np.uint8))


def test_transform_image_to_crop_by_hand() -> None:
    # c_gt = (25, 40), c' = (27, 38), r = 2, out 101: centre (50 - 4, 50 + 4) = (46, 54), wh (60, 80)
    out = pu.transform_image_to_crop([10, 20, 30, 40], [22, 18, 10, 40], 2.0, 101)
    np.testing.assert_allclose(out, [46 - 30, 54 - 40, 60, 80])


def test_jitter_box_statistics_and_bounds() -> None:
    rng = np.random.default_rng(0)
    box = np.array([100.0, 50.0, 40.0, 10.0])
    jittered = np.stack([pu.jitter_box(box, 0.25, 3.0, rng) for _ in range(4000)])
    log_ratio = np.log(jittered[:, 2:] / box[2:])
    np.testing.assert_allclose(log_ratio.mean(0), 0.0, atol=0.02)
    np.testing.assert_allclose(log_ratio.std(0), 0.25, rtol=0.05)
    offset = jittered[:, :2] + jittered[:, 2:] / 2 - (box[:2] + box[2:] / 2)
    max_offset = np.sqrt(jittered[:, 2] * jittered[:, 3]) * 3.0
    rel = offset / max_offset[:, None]  # U(-0.5, 0.5) per axis
    assert np.all(np.abs(rel) <= 0.5)
    np.testing.assert_allclose(rel.std(0), 1 / math.sqrt(12), rtol=0.05)
    np.testing.assert_allclose(pu.jitter_box(box, 0.0, 0.0, rng), box)


def test_degenerate_boxes_raise_the_specific_error() -> None:
    rng = np.random.default_rng(0)
    for bad in ([0, 0, 0, 5], [0, 0, 5, -1], [0, float("nan"), 5, 5], [0, 0, float("inf"), 5]):
        with pytest.raises(pu.DegenerateBoxError):
            pu.jitter_box(bad, 0.1, 0.1, rng)
    with pytest.raises(pu.DegenerateBoxError, match="crop side"):
        pu.crop_window([0, 0, 0.01, 0.01], 5.0)
    assert issubclass(pu.DegenerateBoxError, ValueError)


def test_iou_by_hand() -> None:
    a = np.array([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0]])
    b = np.array([[1.0, 1.0, 2.0, 2.0], [5.0, 5.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]])
    np.testing.assert_allclose(pu.iou_xywh(a, b), [1 / 7, 0.0, 1.0])
    torch.testing.assert_close(pu.iou_xywh(torch.tensor(a), torch.tensor(b)), torch.tensor([1 / 7, 0.0, 1.0],
                                                                                           dtype=torch.float64))


def _iou_python(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def test_proposals_iou_recomputed_and_above_threshold() -> None:
    rng = np.random.default_rng(5)
    gt = np.array([40.0, 30.0, 20.0, 12.0])
    for _ in range(20):
        boxes, ious = pu.perturb_box(gt, 0.1, [0.01, 0.05, 0.1, 0.2, 0.3], rng, num_boxes=16)
        assert boxes.shape == (16, 4)
        assert np.all(boxes[:, 2:] > 0)
        assert np.all(ious > 0.1)
        np.testing.assert_allclose(ious, [_iou_python(b, gt) for b in boxes], rtol=1e-12)
    same, iou1 = pu.perturb_box(gt, 0.5, [0.0], rng, num_boxes=3)
    np.testing.assert_allclose(same, np.tile(gt, (3, 1)))
    np.testing.assert_allclose(iou1, 1.0)
    props, piou = pu.sample_box_proposals(gt, 16, 0.1, [0.3], rng)
    assert props.dtype == torch.float32 and props.shape == (16, 4)
    assert torch.all(piou > -0.8) and torch.all(piou <= 1.0)
    np.testing.assert_allclose(piou.numpy(), [2 * _iou_python(b, gt) - 1 for b in props.double().numpy()], atol=1e-5)


def test_proposals_shrink_until_accepted() -> None:
    # huge sigma: almost every first draw fails min_iou 0.7; the shrinking sigma must still get every box accepted
    rng = np.random.default_rng(1)
    boxes, ious = pu.perturb_box([0.0, 0.0, 10.0, 10.0], 0.7, [3.0], rng, num_boxes=64)
    assert np.all(ious > 0.7)
