"""The "done when" check: one full ATOM training batch from synthetic + real LaSOT + real COCO readers together."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from ltr.data import transforms as tfm
from ltr.data.loader import LTRLoader
from ltr.data.processing import IMAGENET_MEAN, IMAGENET_STD, ATOMProcessing
from ltr.data.sampler import ATOMSampler
from ltr.dataset.coco_seq import MSCOCOSeq
from ltr.dataset.lasot import Lasot
from ltr.dataset.synthetic import SyntheticVideo

SAF, SZ = 5.0, 288


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ix = np.clip(np.minimum(a[..., 0] + a[..., 2], b[..., 0] + b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    iy = np.clip(np.minimum(a[..., 1] + a[..., 3], b[..., 1] + b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = ix * iy
    return inter / (a[..., 2] * a[..., 3] + b[..., 2] * b[..., 3] - inter)


def _reference_crop(frame: np.ndarray, x1: int, y1: int, side: int) -> np.ndarray:
    """Second method for step 3: pad the region by border replication, then cv2.resize (bilinear)."""
    h, w = frame.shape[:2]
    ys = np.clip(np.arange(y1, y1 + side), 0, h - 1)
    xs = np.clip(np.arange(x1, x1 + side), 0, w - 1)
    region = frame[ys][:, xs]
    return cv2.resize(region, (SZ, SZ), interpolation=cv2.INTER_LINEAR).astype(np.float64)


@pytest.fixture(scope="module")
def atom_batch(shared_data: Path):
    lasot = Lasot(shared_data / "lasot")
    coco = MSCOCOSeq(shared_data / "coco", split="train")
    synth = SyntheticVideo(num_sequences=10, seq_len=30, seed=4)
    transform = tfm.Transform(tfm.ToTensorAndJitter(0.2), tfm.Normalize(IMAGENET_MEAN, IMAGENET_STD))
    proc = ATOMProcessing(SAF, SZ, {"train": 0.0, "test": 4.5}, {"train": 0.0, "test": 0.5},
                          {"boxes_per_frame": 16, "min_iou": 0.1, "sigma_factor": [0.01, 0.05, 0.1, 0.2, 0.3]},
                          mode="sequence", transform=transform, joint_transform=tfm.ToGrayscale(0.05))
    sampler = ATOMSampler([synth, lasot, coco], [1, 1, 1], 64, 50, processing=proc, seed=2024)
    loader = LTRLoader("train", sampler, training=True, batch_size=64, num_workers=0, stack_dim=1, shuffle=True)
    batch = next(iter(loader))
    return batch, lasot, coco


def test_shapes_and_value_ranges(atom_batch) -> None:
    batch, _, _ = atom_batch
    assert batch["train_images"].shape == (1, 64, 3, SZ, SZ)
    assert batch["test_images"].shape == (1, 64, 3, SZ, SZ)
    assert batch["train_anno"].shape == batch["test_anno"].shape == (1, 64, 4)
    assert batch["test_proposals"].shape == (1, 64, 16, 4)
    assert batch["proposal_iou"].shape == (1, 64, 16)
    assert all(batch[k].dtype == torch.float32 for k in ("train_images", "test_images", "test_proposals"))
    mean = torch.tensor(IMAGENET_MEAN).view(1, 1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 1, 3, 1, 1)
    for key in ("train_images", "test_images"):
        x = batch[key]
        assert torch.all(x >= -mean / std - 1e-5) and torch.all(x <= (1 - mean) / std + 1e-5)
        assert x.std() > 0.1  # real content, not a constant pad
    piou = batch["proposal_iou"]
    assert torch.all(piou > 2 * 0.1 - 1) and torch.all(piou <= 1.0)
    assert torch.all(batch["test_proposals"][..., 2:] > 0)
    assert set(batch["dataset"]) == {"synthetic", "lasot", "coco"}
    # train frames are not jittered: the target sits in the middle of the crop at 1/5 of its side (sqrt area)
    tr = batch["train_anno"][0].double()
    np.testing.assert_allclose((tr[:, :2] + tr[:, 2:] / 2).numpy(), (SZ - 1) / 2, atol=1e-3)
    np.testing.assert_allclose(torch.sqrt(tr[:, 2] * tr[:, 3]).numpy(), SZ / SAF, rtol=0.02)


def test_proposal_iou_matches_recomputation(atom_batch) -> None:
    batch, _, _ = atom_batch
    gt = batch["test_anno"][0].double().numpy()[:, None, :]
    props = batch["test_proposals"][0].double().numpy()
    np.testing.assert_allclose(batch["proposal_iou"][0].numpy(), 2 * _iou(props, gt) - 1, atol=2e-5)


def test_gt_box_in_crop_follows_step_3(atom_batch) -> None:
    batch, _, _ = atom_batch
    for s in ("train", "test"):
        gt = batch[f"{s}_image_anno"][0].double().numpy()
        jb = batch[f"{s}_jittered_anno"][0].double().numpy()
        crop_box = batch[f"{s}_crop_box"][0].double().numpy()
        side = np.ceil(np.sqrt(jb[:, 2] * jb[:, 3]) * SAF)
        np.testing.assert_allclose(crop_box[:, 2], side, atol=1e-6)
        np.testing.assert_allclose(crop_box[:, 0], np.round(jb[:, 0] + jb[:, 2] / 2 - side / 2), atol=1)
        r = SZ / side[:, None]
        c_out = (SZ - 1) / 2 + ((gt[:, :2] + gt[:, 2:] / 2) - (jb[:, :2] + jb[:, 2:] / 2)) * r
        expected = np.concatenate([c_out - gt[:, 2:] * r / 2, gt[:, 2:] * r], axis=1)
        np.testing.assert_allclose(batch[f"{s}_anno"][0].double().numpy(), expected, rtol=1e-4, atol=2e-3)


def test_boxes_and_pixels_come_from_the_real_data(atom_batch, shared_data: Path) -> None:
    batch, lasot, _ = atom_batch
    gt_rows = np.loadtxt(shared_data / "lasot" / "motorcycle" / "motorcycle-9" / "groundtruth.txt", delimiter=",")
    with open(shared_data / "coco" / "annotations" / "instances_train2017.json") as fh:
        coco_boxes = np.array([a["bbox"] for a in json.load(fh)["annotations"]])
    checked = 0
    for i, name in enumerate(batch["dataset"]):
        box = batch["test_image_anno"][0, i].double().numpy()
        if name == "coco":
            assert np.min(np.abs(coco_boxes - box).max(axis=1)) < 1e-3
        if name != "lasot":
            continue
        frame_id = int(np.argmin(np.abs(gt_rows - box).max(axis=1)))
        np.testing.assert_allclose(gt_rows[frame_id], box, atol=1e-3)
        # the test crop is the LaSOT frame's square [x1, y1, side] resized; up to brightness factor and normalisation
        x1, y1, side, _ = batch["test_crop_box"][0, i].round().int().tolist()
        frames, _, _ = lasot.get_frames(0, [frame_id])
        ref = _reference_crop(frames[0], x1, y1, side)
        got = batch["test_images"][0, i].double() * torch.tensor(IMAGENET_STD).view(3, 1, 1).double()
        got = ((got + torch.tensor(IMAGENET_MEAN).view(3, 1, 1).double()) * 255).permute(1, 2, 0).numpy()
        if np.allclose(got[..., 0], got[..., 1], atol=1e-3) and np.allclose(got[..., 1], got[..., 2], atol=1e-3):
            ref = np.repeat(ref @ np.array([0.299, 0.587, 0.114])[:, None], 3, axis=2)  # grayscale draw (p=0.05)
        keep = (got > 1) & (got < 254)  # pixels not clamped by the brightness jitter
        factor = float((got[keep] * ref[keep]).sum() / (ref[keep] ** 2).sum())
        assert 0.8 - 1e-3 <= factor <= 1.2 + 1e-3
        assert np.abs(got[keep] - factor * ref[keep]).mean() < 1.0
        checked += 1
    assert checked >= 5
