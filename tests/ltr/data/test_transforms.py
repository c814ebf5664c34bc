"""Transforms: boxes/coords/masks must keep describing the same pixels after the image moves."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ltr.data import transforms as T


def _rect_image(h: int, w: int, box: tuple[int, int, int, int]) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    x, y, bw, bh = box
    img[y : y + bh, x : x + bw] = 255
    return img


def _mask_box(mask: np.ndarray) -> np.ndarray:
    """Enclosing xywh box of a binary mask in continuous coordinates (a pixel j spans [j, j+1))."""
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()], dtype=np.float64)


@pytest.mark.parametrize("seed", range(8))
def test_random_affine_box_encloses_same_pixels(seed: int) -> None:
    h, w = 120, 160
    rect = (50, 40, 50, 30)
    img = _rect_image(h, w, rect)
    aff = T.RandomAffine(p_flip=0.5, max_rotation=30, max_shear=0.15, max_scale=0.25, max_ar_factor=0.2,
                         pad_amount=10)
    rng = np.random.default_rng(seed)
    out_img, out_box = aff(image=img, bbox=torch.tensor(rect, dtype=torch.float32), rng=rng)
    assert out_img.shape == (h + 20, w + 20, 3)
    got = _mask_box(out_img[:, :, 0] > 127)
    np.testing.assert_allclose(out_box.numpy(), got, atol=1.5)

    # the mask, transformed with the same draw, covers the same region
    mask = np.zeros((h, w), bool)
    mask[40:70, 50:100] = True
    out_mask = aff(image=img, mask=mask, new_roll=False)[1]
    assert out_mask.dtype == np.bool_
    assert (out_mask == (out_img[:, :, 0] > 127)).mean() > 0.995


def test_flip_by_hand_and_coords() -> None:
    img = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    flip = T.RandomHorizontalFlip(probability=1.0)
    out_img, out_coords, out_box = flip(image=img, coords=torch.tensor([[0.5, 1.0], [6.0, 2.0]]),
                                        bbox=torch.tensor([1.0, 2.0, 2.0, 1.0]))
    np.testing.assert_array_equal(out_img, img[:, ::-1])
    torch.testing.assert_close(out_coords, torch.tensor([[5.5, 1.0], [0.0, 2.0]]))
    torch.testing.assert_close(out_box, torch.tensor([3.0, 2.0, 2.0, 1.0]))  # x' = W - x - w
    t_img = torch.from_numpy(img).permute(2, 0, 1)
    torch.testing.assert_close(flip(image=t_img), t_img.flip(-1))


def test_affine_coords_follow_a_bright_pixel() -> None:
    img = np.zeros((81, 101), np.float32)
    img[30, 70] = 1.0  # pixel centre at (70.5, 30.5)
    aff = T.RandomAffine(p_flip=0.5, max_rotation=40, max_scale=0.2, pad_amount=5, border_mode="replicate")
    for seed in range(5):
        out, coords = aff(image=img, coords=torch.tensor([[70.5, 30.5]], dtype=torch.float64),
                          rng=np.random.default_rng(seed))
        i, j = np.unravel_index(np.argmax(out), out.shape)
        # weighted centroid of the blob, in continuous coordinates
        ys, xs = np.mgrid[0 : out.shape[0], 0 : out.shape[1]]
        wgt = out / out.sum()
        centroid = np.array([(wgt * (xs + 0.5)).sum(), (wgt * (ys + 0.5)).sum()])
        np.testing.assert_allclose(coords[0].numpy(), centroid, atol=0.35)
        assert abs(coords[0, 0] - (j + 0.5)) <= 1.0 and abs(coords[0, 1] - (i + 0.5)) <= 1.0


def test_joint_and_new_roll_semantics() -> None:
    img = np.random.default_rng(0).integers(0, 255, (8, 10, 3), dtype=np.uint8)
    flip = T.RandomHorizontalFlip(probability=0.5)
    rng = np.random.default_rng(3)
    for _ in range(10):  # joint: every image gets the same draw
        a, b = flip(image=[img, img], rng=rng)
        np.testing.assert_array_equal(a, b)
    outs = flip(image=[img] * 40, joint=False, rng=rng)  # independent draws: both outcomes appear
    flipped = [np.array_equal(o, img[:, ::-1]) for o in outs]
    assert any(flipped) and not all(flipped)
    # new_roll=False reuses the per-item draws for a later call (e.g. the masks)
    boxes = flip(image=[img] * 40, bbox=[torch.tensor([1.0, 1.0, 2.0, 2.0])] * 40, joint=False, new_roll=False)[1]
    assert [bool(bx[0] == 10 - 1 - 2) for bx in boxes] == flipped
    with pytest.raises(ValueError, match="same number of items"):
        flip(image=[img, img], bbox=[torch.zeros(4)])


def test_pipeline_is_reproducible_with_the_same_rng() -> None:
    img = np.random.default_rng(1).integers(0, 255, (30, 40, 3), dtype=np.uint8)
    pipe = T.Transform(T.RandomAffine(p_flip=0.5, max_rotation=10), T.ToTensorAndJitter(0.2),
                       T.Normalize([0.5] * 3, [0.25] * 3))
    box = torch.tensor([5.0, 6.0, 10.0, 8.0])
    a = pipe(image=img, bbox=box, rng=np.random.default_rng(7))
    b = pipe(image=img, bbox=box, rng=np.random.default_rng(7))
    torch.testing.assert_close(a[0], b[0])
    torch.testing.assert_close(a[1], b[1])


def test_to_tensor_and_jitter_by_hand() -> None:
    img = np.array([[[0, 100, 255], [50, 200, 10]]], np.uint8)  # 1x2x3
    out = T.ToTensorAndJitter(brightness_jitter=0.2)(image=img, rng=np.random.default_rng(11))
    factor = np.random.default_rng(11).uniform(0.8, 1.2)
    expected = np.clip(img.transpose(2, 0, 1).astype(np.float64) * factor / 255.0, 0, 1)
    assert out.shape == (3, 1, 2) and out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-7)
    raw = T.ToTensorAndJitter(brightness_jitter=0.0, normalize=False)(image=img)
    np.testing.assert_array_equal(raw.numpy(), img.transpose(2, 0, 1).astype(np.float32))
    np.testing.assert_allclose(T.ToTensor()(image=img).numpy(), img.transpose(2, 0, 1) / 255.0, rtol=1e-6)


def test_normalize_grayscale_bgr() -> None:
    t = torch.tensor([[[1.0]], [[0.5]], [[0.0]]])
    out = T.Normalize(mean=[0.5, 0.5, 0.5], std=[0.5, 0.25, 0.5])(image=t)
    torch.testing.assert_close(out, torch.tensor([[[1.0]], [[0.0]], [[-1.0]]]))
    with pytest.raises(TypeError, match="ToTensor"):
        T.Normalize([0.0] * 3, [1.0] * 3)(image=np.zeros((2, 2, 3), np.uint8))

    img = np.array([[[200, 100, 50]]], np.uint8)
    g = T.ToGrayscale(probability=1.0)(image=img)
    lum = 0.299 * 200 + 0.587 * 100 + 0.114 * 50
    assert g.shape == (1, 1, 3) and np.all(np.abs(g.astype(float) - lum) <= 1)
    np.testing.assert_array_equal(T.ToGrayscale(probability=0.0)(image=img), img)
    gt = T.ToGrayscale(probability=1.0)(image=torch.from_numpy(img).permute(2, 0, 1).float())
    torch.testing.assert_close(gt, torch.full((3, 1, 1), lum))
    np.testing.assert_array_equal(T.ToBGR()(image=img), img[:, :, ::-1])


def test_blur_matches_gaussian_kernel() -> None:
    sigma = 1.5
    img = np.zeros((31, 31), np.float32)
    img[15, 15] = 1.0
    out = T.Blur(sigma)(image=img)
    r = np.arange(-15, 16)
    g = np.exp(-0.5 * (r / sigma) ** 2)
    g /= g[np.abs(r) <= math.ceil(3 * sigma)].sum()
    g[np.abs(r) > math.ceil(3 * sigma)] = 0
    np.testing.assert_allclose(out, np.outer(g, g), atol=1e-6)
    out_t = T.Blur(sigma)(image=torch.from_numpy(img)[None])
    np.testing.assert_allclose(out_t[0].numpy(), out, atol=1e-6)
    const = np.full((10, 12, 3), 77, np.uint8)
    np.testing.assert_array_equal(T.Blur((2.0, 1.0))(image=const), const)
    rb = T.RandomBlur(sigma=(1.0, 2.0), probability=1.0)
    assert not np.array_equal(rb(image=img, rng=np.random.default_rng(0)), img)
    np.testing.assert_array_equal(T.RandomBlur(1.0, probability=0.0)(image=img), img)


def test_argument_validation() -> None:
    with pytest.raises(ValueError, match="border_mode"):
        T.RandomAffine(border_mode="wrap")
    with pytest.raises(ValueError, match="probability"):
        T.ToGrayscale(probability=1.5)
    with pytest.raises(ValueError, match="need the image"):
        T.RandomHorizontalFlip(1.0)(bbox=torch.zeros(4))
