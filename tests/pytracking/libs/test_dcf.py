"""Hann windows, Gaussian labels and max2d against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from pytracking.libs import dcf


def test_hann1d_centered_formula_and_symmetry() -> None:
    w = dcf.hann1d(4)
    # 0.5 (1 - cos(2π n/5)) for n = 1..4
    expected = [0.5 * (1 - math.cos(2 * math.pi * n / 5)) for n in range(1, 5)]
    torch.testing.assert_close(w, torch.tensor(expected))
    assert w[0].item() == pytest.approx(0.3454915, abs=1e-6)
    w5 = dcf.hann1d(5)
    assert w5[2].item() == pytest.approx(1.0)  # odd size: peak 1 at the centre
    torch.testing.assert_close(w5, w5.flip(0))
    assert (w5 > 0).all()


def test_hann1d_uncentered() -> None:
    w = dcf.hann1d(4, centered=False)
    # circular distances 0, 1, 2, 1; period sz + 2 = 6
    expected = [0.5 * (1 + math.cos(2 * math.pi * d / 6)) for d in (0, 1, 2, 1)]
    torch.testing.assert_close(w, torch.tensor(expected))
    assert w.tolist() == pytest.approx([1.0, 0.75, 0.25, 0.75])
    w7 = dcf.hann1d(7, centered=False)
    torch.testing.assert_close(w7[1:], w7[1:].flip(0))  # circularly symmetric about index 0
    assert w7[3].item() == pytest.approx(0.5 * (1 + math.cos(2 * math.pi * 3 / 9)))
    assert (w7 > 0).all()


def test_hann2d_outer_product_and_shape() -> None:
    w = dcf.hann2d((3, 4))
    assert w.shape == (1, 1, 3, 4)
    torch.testing.assert_close(w[0, 0], dcf.hann1d(3)[:, None] * dcf.hann1d(4)[None, :])
    assert dcf.hann2d(torch.tensor([5, 5]), centered=False)[0, 0, 0, 0].item() == pytest.approx(1.0)


def test_gauss_spatial_grid() -> None:
    g = dcf.gauss_spatial(4, sigma=1.0, center=0.5, end_pad=1)
    ks = [-1.5, -0.5, 0.5, 1.5, 2.5]
    torch.testing.assert_close(g, torch.tensor([math.exp(-((k - 0.5) ** 2) / 2) for k in ks]))


def test_label_function_peak_location_and_values() -> None:
    # 18x18 map, sigma 0.9 (ATOM defaults), peak offset (dy, dx) = (0.5, -2).
    y = dcf.label_function_spatial(18, 0.9, center=(0.5, -2.0))
    assert y.shape == (1, 1, 18, 18)
    # origin at index 8.5 -> peak at row 9.0, col 6.5
    val, idx = dcf.max2d(y[0, 0])
    assert val.item() == pytest.approx(math.exp(-(0.5**2) / (2 * 0.81)), rel=1e-6)  # half a cell from the peak
    assert idx.tolist() == [9, 6]
    assert y[0, 0, 9, 7].item() == pytest.approx(y[0, 0, 9, 6].item())  # symmetric about col 6.5
    # hand value at (row 3, col 12): dy = 3 - 9 = -6, dx = 12 - 6.5 = 5.5
    assert y[0, 0, 3, 12].item() == pytest.approx(math.exp(-(36 + 30.25) / (2 * 0.81)), rel=1e-5)


def test_label_function_anisotropic_sigma_and_end_pad() -> None:
    y = dcf.label_function_spatial((5, 4), (1.0, 2.0), center=torch.tensor([0.0, 0.0]), end_pad=(0, 1))
    assert y.shape == (1, 1, 5, 5)
    # rows k = -2..2, cols k = -1.5..2.5
    assert y[0, 0, 2, 1].item() == pytest.approx(math.exp(-(0.5**2) / 8), rel=1e-6)
    assert y[0, 0, 0, 4].item() == pytest.approx(math.exp(-4 / 2 - 2.5**2 / 8), rel=1e-6)


def test_max2d_batched_row_col() -> None:
    a = torch.zeros(2, 3, 4, 5)
    a[1, 2, 3, 1] = 7.0
    a[0, 0, 2, 4] = 3.0
    vals, idx = dcf.max2d(a)
    assert vals.shape == (2, 3) and idx.shape == (2, 3, 2) and idx.dtype == torch.int64
    assert vals[1, 2].item() == 7.0 and idx[1, 2].tolist() == [3, 1]
    assert idx[0, 0].tolist() == [2, 4]
    assert idx[0, 1].tolist() == [0, 0]  # ties: first position
    with pytest.raises(ValueError, match="at least 2"):
        dcf.max2d(torch.zeros(3))
