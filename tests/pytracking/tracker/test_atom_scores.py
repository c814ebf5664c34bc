"""Score upsampling (matrix form vs the published FFT chain) and label placement."""

from __future__ import annotations

import math

import pytest
import torch

from pytracking.tracker.atom.scores import ScoreUpsampler, fourier_interp_matrix, label_center, label_map


def published_fft_upsample(s: torch.Tensor, out: int, ksz: int) -> torch.Tensor:
    """Second method: the published chain literally -- rfft2, centre the rows (the Nyquist row appears at both ends
    for even sizes), phase shift pi (1 - ksz%2 / h), zero-pad to the output grid, undo the centring, irfft2."""
    h, w = s.shape[-2:]
    a = torch.fft.rfft2(s.double()) / (h * w)
    hh = h + 2
    a = torch.cat((a[(hh - 1) // 2:], a[: hh // 2]), 0)
    ky = torch.arange(-((a.shape[0] - 1) // 2), a.shape[0] // 2 + 1, dtype=torch.float64).reshape(-1, 1)
    kx = torch.arange(0, a.shape[1], dtype=torch.float64).reshape(1, -1)
    sy, sx = math.pi * (1 - (ksz % 2) / h), math.pi * (1 - (ksz % 2) / w)
    a = a * torch.exp(1j * (sy * ky + sx * kx))
    szr, szc = a.shape[0], 2 * a.shape[1] - 1
    pad_top = (out - szr + 1) // 2 if szr % 2 == 0 else (out - szr) // 2
    pad_right = (out - szc + 1) // 2
    z = torch.zeros(out, a.shape[1] + pad_right, dtype=a.dtype)
    z[pad_top:pad_top + szr, : a.shape[1]] = a
    mid = (out - 1) // 2
    z = torch.cat((z[mid:], z[:mid]), 0)
    return torch.fft.irfft2(z, s=(out, out)) * out * out


@pytest.mark.parametrize("h,ksz", [(18, 4), (19, 4), (18, 5), (14, 4)])
def test_matrix_upsampling_equals_published_fft_chain(h, ksz):
    g = torch.Generator().manual_seed(h + ksz)
    s = torch.randn(h, h, generator=g)
    out = 16 * h
    up = ScoreUpsampler((h, h), (out, out), (ksz, ksz))(s[None, None])[0]
    ref = published_fft_upsample(s, out, ksz)
    torch.testing.assert_close(up.double(), ref, atol=2e-5, rtol=0)


def test_even_kernel_peak_at_half_size_maps_to_zero_displacement():
    # With a 4x4 filter, zero displacement of the 18x18 response sits at index 9 (= h/2); after upsampling it is
    # at index 0 (FFT layout). Each row of G sums to 1 (a constant map stays constant).
    s = torch.zeros(1, 1, 18, 18)
    s[0, 0, 9, 9] = 1.0
    up = ScoreUpsampler((18, 18), (288, 288), (4, 4))(s)[0]
    assert divmod(int(up.argmax()), 288) == (0, 0)
    g = fourier_interp_matrix(18, 288, 4)
    torch.testing.assert_close(g.sum(1), torch.ones(288))
    # every 16th output row samples a grid point: the input after the half-period roll, plus the published Nyquist
    # duplication (the +-9 frequency counted twice) which adds (-1)^(j - p + 1) / 18
    j = torch.arange(18).reshape(-1, 1)
    p = torch.arange(18).reshape(1, -1)
    expected = torch.roll(torch.eye(18), 9, dims=1) + (-1.0) ** (j - p + 1) / 18
    torch.testing.assert_close(g[::16], expected.float(), atol=1e-5, rtol=0)


def test_label_center_and_map():
    # sigma 0.9, 18x18 features, 4x4 kernel: target exactly at the sample centre -> peak half a cell after the
    # map centre, i.e. at index (17/2 + 0.5) = 9
    c = label_center((18, 18), (4, 4), (0.0, 0.0))
    assert c == (0.5, 0.5)
    y = label_map((18, 18), (0.9, 0.9), c)
    assert y.shape == (1, 1, 18, 18)
    assert divmod(int(y.argmax()), 18) == (9, 9)
    assert y.max().item() == pytest.approx(1.0)
    assert y[0, 0, 9, 10].item() == pytest.approx(math.exp(-1 / (2 * 0.81)), rel=1e-6)
    # a 32-pixel shift of a 288 sample moves the label by 32/288*18 = 2 cells; target offset 0.1 -> 1.8 cells
    assert label_center((18, 18), (4, 4), (0.1, 0.0), (32, -32), (288, 288)) == pytest.approx((4.3, -1.5))
    assert label_center((19, 19), (5, 5), (0.0, 0.0)) == (0.0, 0.0)
