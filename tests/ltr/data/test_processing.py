"""ATOMProcessing: crop geometry, GT mapping, proposals, joint transform vs independent recomputation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ltr.data import processing_utils as pu
from ltr.data import transforms as tfm
from ltr.data.processing import ATOMProcessing
from pytracking.libs.tensordict import TensorDict

PROPOSALS = {"boxes_per_frame": 16, "min_iou": 0.1, "sigma_factor": [0.01, 0.05, 0.1, 0.2, 0.3]}


def _coordinate_image(h: int, w: int) -> np.ndarray:
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([xs, ys, np.full_like(xs, 7.0)], axis=2)


def _data(n_train: int = 1, n_test: int = 2) -> TensorDict:
    img = _coordinate_image(120, 200)
    boxes = [torch.tensor([60.0, 40.0, 30.0, 20.0]), torch.tensor([150.0, 70.0, 40.0, 44.0]),
             torch.tensor([-10.0, 90.0, 25.0, 35.0])]
    return TensorDict({
        "train_images": [img] * n_train, "train_anno": boxes[:n_train],
        "test_images": [img] * n_test, "test_anno": boxes[1 : 1 + n_test],
        "dataset": "handmade", "test_class": None,
    })


def _proc(mode: str = "sequence", **kw) -> ATOMProcessing:
    return ATOMProcessing(search_area_factor=4.0, output_sz=64, center_jitter_factor={"train": 0.5, "test": 3.0},
                          scale_jitter_factor={"train": 0.1, "test": 0.4}, proposal_params=PROPOSALS, mode=mode,
                          transform=tfm.ToTensor(), **kw)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / (a[2] * a[3] + b[2] * b[3] - ix * iy)


@pytest.mark.parametrize("seed", range(4))
def test_crop_geometry_and_gt_mapping(seed: int) -> None:
    data = _data()
    out = _proc()(data, rng=np.random.default_rng(seed))
    sz = 64
    for s, cj, n in (("train", 0.5, 1), ("test", 3.0, 2)):
        assert out[f"{s}_images"].shape == (n, 3, sz, sz)
        for f in range(n):
            gt = data[f"{s}_anno"][f].double().numpy()
            np.testing.assert_allclose(out[f"{s}_image_anno"][f].numpy(), gt)
            jb = out[f"{s}_jittered_anno"][f].double().numpy()
            # step 2 bounds: centre offset at most half of max_offset per axis
            max_off = math.sqrt(jb[2] * jb[3]) * cj
            assert np.all(np.abs((jb[:2] + jb[2:] / 2) - (gt[:2] + gt[2:] / 2)) <= max_off / 2 + 1e-3)
            # step 3: crop square side and corner by hand
            side = math.ceil(math.sqrt(jb[2] * jb[3]) * 4.0)
            x1 = round(jb[0] + jb[2] / 2 - side / 2)
            y1 = round(jb[1] + jb[3] / 2 - side / 2)
            np.testing.assert_allclose(out[f"{s}_crop_box"][f].numpy(), [x1, y1, side, side], atol=1e-3)
            r = sz / side
            c_out = (sz - 1) / 2 + ((gt[:2] + gt[2:] / 2) - (jb[:2] + jb[2:] / 2)) * r
            wh_out = gt[2:] * r
            np.testing.assert_allclose(out[f"{s}_anno"][f].numpy(), np.r_[c_out - wh_out / 2, wh_out], atol=1e-3)
            # the pixels really come from that square: the coordinate image tells where each output pixel sampled
            crop = out[f"{s}_images"][f].numpy()
            j = np.arange(sz)
            ex = np.clip(x1 + (j + 0.5) * side / sz - 0.5, 0, 199)
            ey = np.clip(y1 + (j + 0.5) * side / sz - 0.5, 0, 119)
            np.testing.assert_allclose(crop[0], np.broadcast_to(ex, (sz, sz)), atol=0.04)
            np.testing.assert_allclose(crop[1], np.broadcast_to(ey[:, None], (sz, sz)), atol=0.04)


def test_proposals_match_recomputed_iou() -> None:
    out = _proc()(_data(), rng=np.random.default_rng(9))
    assert out["test_proposals"].shape == (2, 16, 4) and out["proposal_iou"].shape == (2, 16)
    for f in range(2):
        gt = out["test_anno"][f].double().numpy()
        props = out["test_proposals"][f].double().numpy()
        expected = [2 * _iou(p, gt) - 1 for p in props]
        np.testing.assert_allclose(out["proposal_iou"][f].numpy(), expected, atol=1e-5)
        assert np.all(out["proposal_iou"][f].numpy() > 2 * 0.1 - 1)
        assert np.all(props[:, 2:] > 0)


def test_deterministic_given_generator_and_pair_mode() -> None:
    a = _proc()(_data(), rng=np.random.default_rng(1))
    b = _proc()(_data(), rng=np.random.default_rng(1))
    c = _proc()(_data(), rng=np.random.default_rng(2))
    for k in ("train_images", "test_anno", "test_proposals", "proposal_iou"):
        torch.testing.assert_close(a[k], b[k])
    assert not torch.equal(a["test_anno"], c["test_anno"])
    pair = _proc("pair")(_data(1, 1), rng=np.random.default_rng(1))
    assert pair["train_images"].shape == (3, 64, 64) and pair["test_proposals"].shape == (16, 4)
    assert pair["dataset"] == "handmade"


def test_joint_transform_shares_one_draw_between_train_and_test() -> None:
    proc = _proc(joint_transform=tfm.RandomHorizontalFlip(0.5))
    flips = []
    for seed in range(12):
        data = _data()
        out = proc(data, rng=np.random.default_rng(seed))
        tr_flipped = not torch.equal(out["train_image_anno"][0], data["train_anno"][0])
        for f in range(2):
            gt = data["test_anno"][f]
            flipped_gt = torch.tensor([200 - gt[0] - gt[2], gt[1], gt[2], gt[3]])
            expect = flipped_gt if tr_flipped else gt
            torch.testing.assert_close(out["test_image_anno"][f], expect)
        flips.append(tr_flipped)
    assert any(flips) and not all(flips)


def test_degenerate_boxes_raise_for_the_sampler() -> None:
    data = _data()
    data["test_anno"] = [torch.tensor([10.0, 10.0, 0.0, 5.0]), torch.tensor([10.0, 10.0, 5.0, 5.0])]
    with pytest.raises(pu.DegenerateBoxError):
        _proc()(data, rng=np.random.default_rng(0))
    data["test_anno"] = [torch.tensor([10.0, float("nan"), 4.0, 5.0]), torch.tensor([10.0, 10.0, 5.0, 5.0])]
    with pytest.raises(pu.DegenerateBoxError):
        _proc()(data, rng=np.random.default_rng(0))


def test_normalised_uint8_pipeline_value_range() -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    proc = ATOMProcessing(5.0, 32, 0.0, 0.0, PROPOSALS, mode="sequence",
                          transform=tfm.Transform(tfm.ToTensorAndJitter(0.2), tfm.Normalize(mean, std)))
    data = TensorDict({"train_images": [img], "train_anno": [torch.tensor([50.0, 40.0, 10.0, 8.0])],
                       "test_images": [img], "test_anno": [torch.tensor([50.0, 40.0, 10.0, 8.0])]})
    out = proc(data, rng=rng)
    m = torch.tensor(mean).view(3, 1, 1)
    sd = torch.tensor(std).view(3, 1, 1)
    x = out["train_images"][0]
    assert torch.all(x >= (0 - m) / sd - 1e-5) and torch.all(x <= (1 - m) / sd + 1e-5)
    # no jitter: the crop is centred exactly on the box (centre (55, 44))
    side = math.ceil(math.sqrt(80) * 5)
    np.testing.assert_allclose(out["train_anno"][0].numpy(),
                               [15.5 - 5 * 32 / side, 15.5 - 4 * 32 / side, 10 * 32 / side, 8 * 32 / side], atol=1e-4)


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="mode"):
        ATOMProcessing(5.0, 288, 0.0, 0.0, PROPOSALS, mode="pairs")
    with pytest.raises(ValueError, match="proposal_params"):
        ATOMProcessing(5.0, 288, 0.0, 0.0, {"min_iou": 0.1}, mode="pair")
    with pytest.raises(ValueError, match="center_jitter_factor"):
        ATOMProcessing(5.0, 288, {"train": 0.0}, 0.0, PROPOSALS)
