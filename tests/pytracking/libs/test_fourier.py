"""Fourier upsampling against an explicit trigonometric-interpolation formula evaluated with numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pytracking.libs import fourier
from pytracking.libs.tensorlist import TensorList


def _trig_interp_1d_matrix(n: int, t: np.ndarray) -> np.ndarray:
    """Matrix B with (B @ a)[j] = band-limited periodic interpolant of samples a[0..n-1] at position t[j].

    s(t) = (1/n) [ Σ_{|k| < n/2} A_k e^{2πikt/n} + A_{n/2} cos(π t) ] with A the DFT of a (Nyquist term only for
    even n), written out per sample: B[j, m] = (1/n) [ Σ_{|k|<n/2} cos(2πk(t_j - m)/n) + cos(π (t_j - m)) ].
    """
    diff = t[:, None] - np.arange(n)[None, :]
    kmax = (n - 1) // 2
    B = np.ones_like(diff)
    for k in range(1, kmax + 1):
        B += 2 * np.cos(2 * np.pi * k * diff / n)
    if n % 2 == 0:
        B += np.cos(np.pi * diff)
    return B / n


def _reference(scores: np.ndarray, out_sz: tuple[int, int], center: tuple[float, float]) -> np.ndarray:
    h, w = scores.shape
    H, W = out_sz
    ty = center[0] + (np.arange(H) - H // 2) * h / H
    tx = center[1] + (np.arange(W) - W // 2) * w / W
    return _trig_interp_1d_matrix(h, ty) @ scores @ _trig_interp_1d_matrix(w, tx).T


@pytest.mark.parametrize(
    "in_sz,out_sz,center",
    [
        ((18, 18), (288, 288), None),  # ATOM: 18x18 -> 288x288, zero displacement at the map centre 8.5
        ((18, 18), (288, 288), (9.0, 9.0)),
        ((6, 5), (13, 12), (1.3, -0.4)),  # odd/even mixes, odd output from even input
        ((6, 7), (6, 7), (2.5, 3.25)),  # no upsampling, fractional shift (Nyquist as cosine)
    ],
)
def test_upsample_matches_trigonometric_interpolation(in_sz, out_sz, center) -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=in_sz)
    c = ((in_sz[0] - 1) / 2, (in_sz[1] - 1) / 2) if center is None else center
    out = fourier.upsample_response(torch.tensor(scores), out_sz, center)
    assert out.shape == out_sz and out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), _reference(scores, out_sz, c), atol=1e-10)


@pytest.mark.parametrize(
    "in_sz,out_sz,center",
    [((18, 18), (288, 288), (8.5, 8.5)), ((6, 5), (13, 12), (1.3, -0.4)), ((6, 7), (6, 7), (2.5, 3.25))],
)
def test_fourier_route_pad_shift_inverse_matches_reference(in_sz, out_sz, center) -> None:
    """The same upsampling done in the Fourier domain: pad the spectrum, shift on the fine grid, inverse FFT."""
    rng = np.random.default_rng(4)
    scores = rng.normal(size=in_sz)
    (h, w), (H, W) = in_sz, out_sz
    spec = fourier.pad_fs(fourier.cfft2(torch.tensor(scores)), out_sz)
    spec = fourier.shift_fs(spec, (H // 2 - center[0] * H / h, W // 2 - center[1] * W / w))
    out = fourier.cifft2(spec) * (H * W / (h * w))
    np.testing.assert_allclose(out.numpy(), _reference(scores, out_sz, center), atol=1e-10)


def test_downsampling_samples_the_interpolant() -> None:
    rng = np.random.default_rng(5)
    scores = rng.normal(size=(8, 8))
    out = fourier.upsample_response(torch.tensor(scores), (4, 6), (3.5, 3.5))
    np.testing.assert_allclose(out.numpy(), _reference(scores, (4, 6), (3.5, 3.5)), atol=1e-10)


def test_constant_map_stays_constant_float32_batched() -> None:
    scores = torch.full((2, 1, 18, 18), 0.37)
    out = fourier.upsample_response(scores, (288, 288))
    assert out.shape == (2, 1, 288, 288) and out.dtype == torch.float32
    torch.testing.assert_close(out, torch.full_like(out, 0.37), atol=1e-6, rtol=0)


def test_single_cosine_interpolated_exactly() -> None:
    n, f = 18, 3
    m = torch.arange(n, dtype=torch.float64)
    scores = torch.cos(2 * math.pi * f * m / n)[:, None] * torch.ones(1, n, dtype=torch.float64)
    out = fourier.upsample_response(scores, (288, 288), center=(0.0, 0.0))
    t = (torch.arange(288, dtype=torch.float64) - 144) / 16  # input position of each output row
    torch.testing.assert_close(out[:, 0], torch.cos(2 * math.pi * f * t / n))


def test_original_grid_points_are_reproduced() -> None:
    rng = np.random.default_rng(1)
    scores = torch.tensor(rng.normal(size=(18, 18)))
    out = fourier.upsample_response(scores, (288, 288))  # centre 8.5: input m sits at output 144 + 16 (m - 8.5)
    rows = [144 + 16 * (m - 8) - 8 for m in range(18)]
    torch.testing.assert_close(out[rows][:, rows], scores)
    out9 = fourier.upsample_response(scores, (288, 288), center=(9, 9))  # input 9 at output 144
    idx = [(144 + 16 * (m - 9)) % 288 for m in range(18)]
    torch.testing.assert_close(out9[idx][:, idx], scores)


def test_peak_position_maps_to_displacement() -> None:
    """A Gaussian centred 2.25 cells right of the map centre peaks 36 output pixels right of (144, 144)."""
    k = torch.arange(18, dtype=torch.float64) - 8.5
    g = torch.exp(-((k[:, None]) ** 2 + (k[None, :] - 2.25) ** 2) / (2 * 1.5**2))
    out = fourier.upsample_response(g, (288, 288))
    flat = int(out.argmax())
    assert (flat // 288, flat % 288) == (144, 144 + 36)


def test_sample_fs_and_roundtrip() -> None:
    rng = np.random.default_rng(2)
    a = torch.tensor(rng.normal(size=(3, 6, 5)))
    torch.testing.assert_close(fourier.cifft2(fourier.cfft2(a)), a)
    fine = fourier.sample_fs(fourier.cfft2(a), (12, 15))
    torch.testing.assert_close(fine[:, ::2, ::3], a)  # index 0 stays at 0; every 2nd row / 3rd col is original
    ref = _trig_interp_1d_matrix(6, np.arange(12) / 2) @ a[0].numpy() @ _trig_interp_1d_matrix(5, np.arange(15) / 3).T
    np.testing.assert_allclose(fine[0].numpy(), ref, atol=1e-10)
    with pytest.raises(ValueError, match="smaller"):
        fourier.sample_fs(fourier.cfft2(a), (4, 5))


def test_shift_fs_integer_shift_is_roll() -> None:
    rng = np.random.default_rng(3)
    a = torch.tensor(rng.normal(size=(6, 7)))
    shifted = fourier.cifft2(fourier.shift_fs(fourier.cfft2(a), (2, -3)))
    torch.testing.assert_close(shifted, torch.roll(a, shifts=(2, -3), dims=(0, 1)))


def test_tensorlist_inputs() -> None:
    a = TensorList([torch.ones(4, 4), torch.zeros(2, 6, 6)])
    out = fourier.upsample_response(a, TensorList([(8, 8), (12, 12)]))
    assert isinstance(out, TensorList)
    assert out[0].shape == (8, 8) and out[1].shape == (2, 12, 12)
    torch.testing.assert_close(out[0], torch.ones(8, 8), atol=1e-6, rtol=0)
