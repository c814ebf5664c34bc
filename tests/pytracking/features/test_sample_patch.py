"""sample_patch: integer crop extents, pre-decimation, replicate padding, resizing (hand-computed expectations)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from pytracking.features.preprocessing import numpy_to_torch, sample_patch, sample_patch_multiscale, torch_to_numpy


def coord_image(h: int = 60, w: int = 70) -> torch.Tensor:
    """Channel 0 = row index, channel 1 = column index, channel 2 = 7."""
    rows = torch.arange(h, dtype=torch.float32).reshape(h, 1).expand(h, w)
    cols = torch.arange(w, dtype=torch.float32).reshape(1, w).expand(h, w)
    return torch.stack((rows, cols, torch.full((h, w), 7.0)))[None]


def test_even_size_integer_semantics():
    # pos truncated to (10, 20); rows [10 - (4-1)//2, 10 + 4//2 + 1) = [9, 13); cols [20 - 2, 20 + 3 + 1) = [18, 24)
    patch, coords = sample_patch(coord_image(), torch.tensor([10.7, 20.2]), torch.tensor([4.0, 6.0]))
    assert patch.shape == (1, 3, 4, 6)
    assert patch[0, 0, :, 0].tolist() == [9, 10, 11, 12]
    assert patch[0, 1, 0, :].tolist() == [18, 19, 20, 21, 22, 23]
    assert coords.tolist() == [[9, 18, 13, 24]]


def test_odd_size_is_centred():
    patch, coords = sample_patch(coord_image(), (30.0, 40.0), (5.0, 5.0))
    assert patch[0, 0, :, 0].tolist() == [28, 29, 30, 31, 32]
    assert patch[0, 1, 0, :].tolist() == [38, 39, 40, 41, 42]
    assert coords.tolist() == [[28, 38, 33, 43]]


def test_replicate_padding_outside_image():
    # rows [1 - 2, 1 + 3 + 1) = [-1, 5) -> clamped to 0,0,1,2,3,4 ; cols [68 - 2, 68 + 4) = [66, 72) -> 66..69,69,69
    patch, coords = sample_patch(coord_image(), (1.0, 68.0), (6.0, 6.0))
    assert patch[0, 0, :, 0].tolist() == [0, 0, 1, 2, 3, 4]
    assert patch[0, 1, 0, :].tolist() == [66, 67, 68, 69, 69, 69]
    assert coords.tolist() == [[-1, 66, 5, 72]]


def test_constant_padding_mode_zeros_outside():
    patch, _ = sample_patch(coord_image(), (1.0, 68.0), (6.0, 6.0), mode="constant")
    assert patch[0, 2, 0, :].tolist() == [0, 0, 0, 0, 0, 0]  # row -1 lies outside
    assert patch[0, 2, 1, :].tolist() == [7, 7, 7, 7, 0, 0]  # cols 70, 71 lie outside


def test_negative_centre_truncates_towards_zero():
    patch, coords = sample_patch(coord_image(), (-0.6, 5.0), (3.0, 3.0))
    # int(-0.6) = 0 -> rows [-1, 2) -> 0, 0, 1
    assert patch[0, 0, :, 0].tolist() == [0, 0, 1]
    assert coords[0, 0].item() == -1


def test_pre_decimation_factor_and_resize():
    im = coord_image(80, 80)
    # df = max(int(40/10 - 0.1), 1) = 3; offset = (21 % 3, 22 % 3) = (0, 1); decimated centre (7, 7);
    # decimated size round(40/3) = 13 -> rows/cols [1, 14) of the decimated image.
    patch, coords = sample_patch(im, (21.0, 22.0), (40.0, 40.0), (10.0, 10.0))
    assert coords.tolist() == [[3, 3, 42, 42]]
    decimated = im[..., 0::3, 1::3]
    crop = decimated[..., 1:14, 1:14]
    assert crop[0, 0, :, 0].tolist() == [3 * i for i in range(1, 14)]
    assert crop[0, 1, 0, :].tolist() == [1 + 3 * i for i in range(1, 14)]
    expected = F.interpolate(crop, size=(10, 10), mode="bilinear", align_corners=False)
    torch.testing.assert_close(patch, expected)


def test_no_decimation_when_factor_below_two():
    # min(sample/output) = 1.9 -> int(1.8) = 1 -> no decimation, plain crop of 19x19 resized to 10x10
    im = coord_image()
    patch, coords = sample_patch(im, (30.0, 30.0), (19.0, 19.0), (10.0, 10.0))
    crop = im[..., 21:40, 21:40]
    torch.testing.assert_close(patch, F.interpolate(crop, size=(10, 10), mode="bilinear", align_corners=False))
    assert coords.tolist() == [[21, 21, 40, 40]]


def test_bilinear_resize_of_linear_ramp_is_exact():
    # Bilinear interpolation (align_corners=False) of a linear ramp at output pixel i samples (i + 0.5) * s - 0.5.
    im = coord_image()
    patch, _ = sample_patch(im, (30.0, 30.0), (8.0, 8.0), (4.0, 4.0))
    rows = patch[0, 0, :, 0]
    # crop rows 27..34, scale 2: samples at 27 + (i + 0.5) * 2 - 0.5 = 27.5, 29.5, 31.5, 33.5
    torch.testing.assert_close(rows, torch.tensor([27.5, 29.5, 31.5, 33.5]))


def test_multiscale_concatenates_scales():
    im = coord_image()
    patches, coords = sample_patch_multiscale(im, (30.0, 30.0), [1.0, 2.0], (6.0, 6.0))
    assert patches.shape == (2, 3, 6, 6)
    single, c2 = sample_patch(im, (30.0, 30.0), (12.0, 12.0), (6.0, 6.0))
    torch.testing.assert_close(patches[1:], single)
    assert coords[1].tolist() == c2[0].tolist()


def test_numpy_roundtrip_and_errors():
    a = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    t = numpy_to_torch(a)
    assert t.shape == (1, 3, 2, 3) and t.dtype == torch.float32
    assert t[0, 1, 1, 2].item() == a[1, 2, 1]
    np.testing.assert_array_equal(torch_to_numpy(t), a.astype(np.float32))
    with pytest.raises(ValueError, match="mode"):
        sample_patch(coord_image(), (1, 1), (2, 2), mode="reflect")
    with pytest.raises(ValueError, match=r"\[1, C, H, W\]"):
        sample_patch(torch.zeros(3, 4, 4), (1, 1), (2, 2))
