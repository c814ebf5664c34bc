"""Gaussian centre labels: hand-computed maps (radius, sigma, rounding, border clipping)."""

from __future__ import annotations

import math

import pytest
import torch

from ltr.data.center_labels import gaussian_label, gaussian_radius


def test_radius_of_a_4x4_box_by_hand() -> None:
    # w = h = 4 cells, min_overlap 0.7: r1 = (8 + sqrt(64 - 4*16*0.3/1.7)) / 2 = 7.6299...,
    # r2 = (16 + sqrt(256 - 16*4.8)) / 2 = 14.6933..., r3 = (-11.2 + sqrt(125.44 + 4*2.8*4.8)) / 2 = 1.09328...
    assert float(gaussian_radius(4.0, 4.0)) == pytest.approx(1.0932802, abs=1e-5)
    # a flat box: w = 10, h = 1 -> r3 = (-15.4 + sqrt(237.16 + 33.6)) / 2 = 0.5287...
    assert float(gaussian_radius(10.0, 1.0)) == pytest.approx((-15.4 + math.sqrt(15.4 ** 2 + 33.6)) / 2, abs=1e-5)


def test_label_of_a_4x4_box_is_a_3x3_gaussian_at_its_centre_cell() -> None:
    # box (x1, y1, w, h) = (4, 8, 4, 4) cells on a 16x16 map -> centre (6, 10), radius int(1.093) = 1,
    # sigma = 3/6 = 0.5: edge neighbours exp(-1 / (2 * 0.25)) = exp(-2), diagonal ones exp(-4)
    label = gaussian_label(torch.tensor([[4 / 16, 8 / 16, 4 / 16, 4 / 16]]), 16)
    assert label.shape == (1, 16, 16) and label.dtype == torch.float32
    expected = torch.zeros(16, 16)
    expected[9:12, 5:8] = torch.tensor([[math.exp(-4), math.exp(-2), math.exp(-4)],
                                        [math.exp(-2), 1.0, math.exp(-2)],
                                        [math.exp(-4), math.exp(-2), math.exp(-4)]])
    torch.testing.assert_close(label[0], expected, rtol=0, atol=1e-7)
    assert label[0, 10, 6] == 1.0  # exact peak (the focal loss's positive)
    assert int((label == 1).sum()) == 1


def test_centre_rounds_half_to_even_and_small_boxes_get_one_cell() -> None:
    # x1 = 0.5, w = 4 -> cx = 2.5 -> 2 (half to even, not 3); y1 = 1, h = 3 -> cy = 2.5 -> 2;
    # r3 = (-9.8 + sqrt(96.04 + 40.32)) / 2 = 0.94 -> radius 0: a single 1
    label = gaussian_label(torch.tensor([0.5 / 16, 1 / 16, 4 / 16, 3 / 16]), 16)
    assert label.shape == (16, 16)
    expected = torch.zeros(16, 16)
    expected[2, 2] = 1.0
    assert torch.equal(label, expected)


def test_patch_is_clipped_at_the_map_border() -> None:
    # 10x10 cells -> r3 = (-28 + sqrt(784 + 336)) / 2 = 2.733 -> radius 2, sigma = 5/6; centre (col 15, row 0) at the
    # top-right corner: only the 3x3 lower-left quarter of the 5x5 patch lands on the map
    label = gaussian_label(torch.tensor([10 / 16, -5 / 16, 10 / 16, 10 / 16]), 16)
    two_sigma_sq = 2 * (5 / 6) ** 2
    expected = torch.zeros(16, 16)
    for row in range(0, 3):
        for col in range(13, 16):
            expected[row, col] = math.exp(-((row - 0) ** 2 + (col - 15) ** 2) / two_sigma_sq)
    torch.testing.assert_close(label, expected, rtol=0, atol=1e-7)
    # a centre beyond the border still contributes the overlapping part of its patch: centre (col 17, row 5)
    far = gaussian_label(torch.tensor([12 / 16, 0 / 16, 10 / 16, 10 / 16]), 16)
    assert far[:, :15].abs().sum() == 0 and far[5, 15] == pytest.approx(math.exp(-4 / two_sigma_sq), abs=1e-7)

