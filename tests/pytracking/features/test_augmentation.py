"""First-frame augmentations: crop/shift semantics, flip, blur kernel, rotation, scaling (hand-computed)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from pytracking.features import augmentation as aug


def ramp(h: int = 8, w: int = 8) -> torch.Tensor:
    return (torch.arange(h * w, dtype=torch.float32).reshape(1, 1, h, w)).repeat(1, 3, 1, 1)


def test_identity_is_centre_crop():
    im = ramp()
    out = aug.Identity((4, 4))(im)
    torch.testing.assert_close(out, im[..., 2:6, 2:6])


def test_shift_moves_content_by_plus_shift():
    im = ramp()
    base = aug.Identity((4, 4))(im)
    shifted = aug.Identity((4, 4), shift=(1, -1))(im)
    # content displaced one row down and one column left
    torch.testing.assert_close(shifted[..., 1:, :-1], base[..., :-1, 1:])
    assert aug.Translation((1, -1), (4, 4)).shift == (1, -1)


def test_crop_beyond_border_replicates():
    im = ramp(4, 4)
    out = aug.Identity((4, 4), shift=(2, 0))(im)  # window starts 2 rows above the image
    torch.testing.assert_close(out[..., 0, :], im[..., 0, :])
    torch.testing.assert_close(out[..., 1, :], im[..., 0, :])
    torch.testing.assert_close(out[..., 2:, :], im[..., :2, :])


def test_flip_horizontal():
    im = ramp()
    torch.testing.assert_close(aug.FlipHorizontal((4, 4))(im), im[..., 2:6, 2:6].flip(-1))


def test_blur_kernel_is_normalised_gaussian_with_radius_ceil_2_sigma():
    t = aug.Blur((1.0, 0.4))
    assert t.radius == (2, 1)
    rows = [math.exp(-(x * x) / 2) for x in range(-2, 3)]
    cols = [math.exp(-(x * x) / (2 * 0.16)) for x in range(-1, 2)]
    im = torch.zeros(1, 1, 9, 9)
    im[0, 0, 4, 4] = 1.0
    out = t(im)[0, 0]
    expected = torch.tensor([[r * c for c in cols] for r in rows]) / (sum(rows) * sum(cols))
    torch.testing.assert_close(out[2:7, 3:6], expected)
    assert out.sum().item() == __import__("pytest").approx(1.0, abs=1e-6)
    constant = torch.full((1, 3, 12, 12), 5.0)
    torch.testing.assert_close(aug.Blur(1.0, (4, 4))(constant), torch.full((1, 3, 4, 4), 5.0))


def test_rotate_90_degrees_is_exact_rotation_about_centre():
    im = torch.arange(25, dtype=torch.float32).reshape(1, 1, 5, 5).repeat(1, 3, 1, 1)
    out = aug.Rotate(90)(im)
    # OpenCV positive angles turn the content counter-clockwise on screen, like torch.rot90 over (H, W)
    torch.testing.assert_close(out, torch.rot90(im, 1, dims=(-2, -1)))


def test_rotate_zero_is_identity_and_borders_replicate():
    im = ramp(6, 6)
    torch.testing.assert_close(aug.Rotate(0)(im), im)
    out = aug.Rotate(45, (6, 6))(torch.ones(1, 3, 6, 6))
    torch.testing.assert_close(out, torch.ones(1, 3, 6, 6))  # replicated border: no dark corners


def test_scale_resizes_then_crops():
    im = ramp()
    out = aug.Scale(2.0, (4, 4))(im)
    torch.testing.assert_close(out, F.interpolate(im, size=(4, 4), mode="bilinear", align_corners=False))
    # factor 0.5 doubles the size (16) and the centre crop keeps rows 6..9
    big = F.interpolate(im, size=(16, 16), mode="bilinear", align_corners=False)
    torch.testing.assert_close(aug.Scale(0.5, (4, 4))(im), big[..., 6:10, 6:10])


def test_blur_of_window_equals_blur_of_whole_image_then_crop():
    g = torch.Generator().manual_seed(0)
    im = torch.rand(1, 3, 40, 40, generator=g)
    for shift, out in (((0, 0), (16, 16)), ((5, -7), (16, 16)), ((0, 0), (36, 36)), ((3, 2), (40, 40))):
        t = aug.Blur((2.0, 1.0), out, shift)
        reference = t.crop_to_output(t.transform(im))  # blur everything, then crop
        torch.testing.assert_close(t(im), reference, atol=1e-6, rtol=0)
