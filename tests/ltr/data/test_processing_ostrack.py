"""OSTrack processing: the zero-padded crop (border quirk, rounding), box mapping, flips, rejection of padded crops."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from ltr.data import transforms as tfm
from ltr.data.processing_ostrack import OSTrackProcessing, sample_target_padded
from ltr.data.processing_utils import DegenerateBoxError
from pytracking.libs.tensordict import TensorDict


def _numbered_image(h: int = 10, w: int = 10) -> np.ndarray:
    r, c = np.mgrid[0:h, 0:w]
    return np.stack([10 * r + c + 1, 10 * r + c + 2, 10 * r + c + 3], axis=-1).astype(np.uint8)


def test_crop_crossing_the_right_border_drops_the_last_column() -> None:
    img = _numbered_image()
    # box [7, 2, 2, 2], factor 2 -> side 4, x1 = round(8 - 2) = 6, x2 = 10: right padding max(10 - 10 + 1, 0) = 1,
    # so image columns 6..8 and one zero column (column 9 is lost); rows 1..4, no vertical padding
    crop, factor, mask = sample_target_padded(img, [7, 2, 2, 2], 2.0, 4)
    expected = np.zeros((4, 4, 3), np.uint8)
    expected[:, :3] = img[1:5, 6:9]
    assert factor == 1.0
    assert np.array_equal(crop, expected)
    assert np.array_equal(mask, np.array([[False, False, False, True]] * 4))


def test_crop_with_top_left_padding_and_half_to_even_origin() -> None:
    img = _numbered_image()
    # centre (0, 0), side 4 -> x1 = y1 = -2: two zero rows/columns before the image's top-left 2x2
    crop, _, mask = sample_target_padded(img, [-1, -1, 2, 2], 2.0, 4)
    expected = np.zeros((4, 4, 3), np.uint8)
    expected[2:, 2:] = img[0:2, 0:2]
    assert np.array_equal(crop, expected)
    assert np.array_equal(mask, ~(np.arange(4)[:, None] >= 2) | ~(np.arange(4)[None, :] >= 2))
    # centre x = 2.5: x1 = round(0.5) = 0 (half to even; half-up would give 1); centre y = 4 -> y1 = 2
    crop, _, mask = sample_target_padded(img, [1.5, 3, 2, 2], 2.0, 4)
    assert np.array_equal(crop, img[2:6, 0:4]) and not mask.any()
    # resized output: bilinear cv2.resize of the padded square
    crop8, factor8, _ = sample_target_padded(img, [7, 2, 2, 2], 2.0, 8)
    padded = np.zeros((4, 4, 3), np.uint8)
    padded[:, :3] = img[1:5, 6:9]
    assert factor8 == 2.0 and np.array_equal(crop8, cv2.resize(padded, (8, 8)))


def test_crop_without_image_pixels_or_side_is_rejected() -> None:
    img = _numbered_image()
    with pytest.raises(DegenerateBoxError, match="no pixel"):
        sample_target_padded(img, [30, 30, 2, 2], 2.0, 4)
    with pytest.raises(DegenerateBoxError):
        sample_target_padded(img, [3, 3, 0, 2], 2.0, 4)


def _proc(transform=None, center=0.0, scale=0.0) -> OSTrackProcessing:
    return OSTrackProcessing(template_factor=2.0, template_sz=32, search_factor=4.0, search_sz=64,
                             center_jitter={"template": 0.0, "search": center},
                             scale_jitter={"template": 0.0, "search": scale},
                             transform=transform if transform is not None else tfm.Transform(tfm.ToTensor()))


def _data(img: np.ndarray, template_box, search_box) -> TensorDict:
    return TensorDict({"train_images": [img], "train_anno": [torch.tensor(template_box, dtype=torch.float32)],
                       "test_images": [img], "test_anno": [torch.tensor(search_box, dtype=torch.float32)],
                       "dataset": "x", "test_class": None})


def test_search_crop_box_and_label_without_jitter() -> None:
    img = np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    out = _proc()(_data(img, [100, 60, 40, 20], [100, 60, 40, 20]), np.random.default_rng(1))
    # search side ceil(sqrt(800) * 4) = 114 at x1 = round(120 - 57) = 63, y1 = round(70 - 57) = 13; r = 64 / 114.
    # GT centre maps to (64 - 1) / 2 = 31.5, size (40 r, 20 r); normalised by 64.
    r = 64 / 114
    expected_box = torch.tensor([31.5 - 20 * r, 31.5 - 10 * r, 40 * r, 20 * r]) / 64
    torch.testing.assert_close(out["search_anno"], expected_box)
    expected_img = torch.from_numpy(cv2.resize(img[13:127, 63:177], (64, 64))).permute(2, 0, 1).float() / 255
    torch.testing.assert_close(out["search_images"], expected_img)
    # template: side ceil(sqrt(800) * 2) = 57 at x1 = round(120 - 28.5) = 92 (91.5 -> 92), y1 = round(41.5) = 42
    expected_tpl = torch.from_numpy(cv2.resize(img[42:99, 92:149], (32, 32))).permute(2, 0, 1).float() / 255
    torch.testing.assert_close(out["template_images"], expected_tpl)
    # label on the 4x4 grid: centre cell round(31.5 / 64 * 4) = round(1.97) = 2
    assert out["search_label"].shape == (4, 4) and out["search_label"][2, 2] == 1.0
    assert int((out["search_label"] == 1).sum()) == 1
    assert out["dataset"] == "x"


def test_per_image_flip_maps_the_normalised_box_to_one_minus_x() -> None:
    img = np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    data = _data(img, [100, 60, 40, 20], [90, 50, 30, 40])
    plain = _proc()(data, np.random.default_rng(1))
    flipped = _proc(tfm.Transform(tfm.ToTensor(), tfm.RandomHorizontalFlip(probability=1.0)))(
        data, np.random.default_rng(1))
    for split in ("template", "search"):
        x, y, w, h = plain[f"{split}_anno"].tolist()
        torch.testing.assert_close(flipped[f"{split}_anno"], torch.tensor([1 - x - w, y, w, h]))
        torch.testing.assert_close(flipped[f"{split}_images"], plain[f"{split}_images"].flip(-1))


def test_mostly_padded_search_crop_is_rejected() -> None:
    img = np.random.default_rng(0).integers(0, 256, (100, 100, 3), dtype=np.uint8)
    proc = _proc()
    # search box centred at x = -4: side 16 from x1 = -12, so only the crop's last 4 columns are image; after the
    # 4x resize the padding mask is False only from output column ~49 on, and nearest down-sampling to the 4x4 token
    # grid samples columns 0, 16, 32, 48 -> all padding -> rejected
    with pytest.raises(DegenerateBoxError, match="padding"):
        proc(_data(img, [40, 40, 10, 10], [-6, 40, 4, 4]), np.random.default_rng(0))
    # the same box 2 px further right keeps image at column 48 and is accepted
    out = proc(_data(img, [40, 40, 10, 10], [-4, 40, 4, 4]), np.random.default_rng(0))
    assert out["search_images"].shape == (3, 64, 64)
    with pytest.raises(ValueError, match="exactly one"):
        proc(TensorDict({"train_images": [img, img], "train_anno": [torch.ones(4)] * 2, "test_images": [img],
                         "test_anno": [torch.ones(4)]}), np.random.default_rng(0))
