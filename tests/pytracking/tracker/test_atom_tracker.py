"""ATOM end to end on the real OTB Crossing frames with a random-weight network: output format, determinism,
debug hooks that cost nothing and change nothing."""

from __future__ import annotations

import math
import re

import cv2
import numpy as np
import pytest
import torch

from ltr.models.bbreg.atom import atom_resnet18
from pytracking.features.extractors import ATOMResNet18
from pytracking.parameter.atom.default import base_parameters
from pytracking.tracker.atom import get_tracker_class
from pytracking.tracker.atom.atom import ATOM
from pytracking.tracker.base.basetracker import BaseTracker

NUM_FRAMES = 5


@pytest.fixture(scope="module")
def crossing(shared_data):
    seq = shared_data / "otb" / "Crossing"
    lines = (seq / "groundtruth_rect.txt").read_text().strip().splitlines()
    gt = [[float(v) for v in re.split(r"[,\s]+", ln.strip())] for ln in lines]
    frames = []
    for i in range(1, NUM_FRAMES + 1):
        im = cv2.imread(str(seq / "img" / f"{i:04d}.jpg"), cv2.IMREAD_COLOR)
        frames.append(cv2.cvtColor(im, cv2.COLOR_BGR2RGB))
    return frames, gt


@pytest.fixture(scope="module")
def network():
    torch.manual_seed(0)
    return atom_resnet18(backbone_pretrained=False)


class RecordingVisdom:
    def __init__(self):
        self.blocks = []

    def register(self, data, mode, level, title):
        self.blocks.append((mode, level, title, data))


def make_params(net, **overrides):
    params = base_parameters()
    params.use_gpu = False
    params.features = ATOMResNet18(net=net, fparams=params.features.fparams, channels_last=True)
    for k, v in overrides.items():
        setattr(params, k, v)
    return params


def run(net, frames, box, visdom=None, **overrides):
    tracker = ATOM(make_params(net, **overrides))
    tracker.visdom = visdom
    out = tracker.initialize(frames[0], {"init_bbox": box})
    boxes = [tracker.track(im)["target_bbox"] for im in frames[1:]]
    return tracker, out, boxes


@pytest.fixture(scope="module")
def base_run(network, crossing):
    frames, gt = crossing
    return run(network, frames, gt[0])


@pytest.mark.slow
def test_tracks_deterministically_and_debug_changes_nothing(network, crossing, base_run):
    frames, gt = crossing
    tracker, out, boxes = base_run
    assert get_tracker_class() is ATOM and isinstance(tracker, BaseTracker)
    assert set(out) == {"time"} and out["time"] > 0
    # sizes the published settings imply for this target (w 17, h 50): search area 5 * sqrt(17 * 50) < 288
    assert tracker.img_sample_sz.tolist() == [288.0, 288.0]
    assert tracker.feature_sz.tolist() == [18.0, 18.0]
    init_scale = 5 * math.sqrt(17 * 50) / 288
    assert tracker.base_target_sz.tolist() == pytest.approx([50 / init_scale, 17 / init_scale], rel=1e-6)
    assert tracker.sigma.tolist() == pytest.approx([0.9, 0.9], rel=1e-6)
    assert tracker.classifier.memory.num_init == 30
    assert tracker.classifier.memory.weights[:30].sum().item() >= 0.25
    assert tracker.classifier.filter.shape == (1, 64, 4, 4)
    assert tracker.classifier.projection_matrix.shape == (64, 256, 1, 1)
    assert len(boxes) == NUM_FRAMES - 1
    for b in boxes:
        assert len(b) == 4 and all(isinstance(v, float) and math.isfinite(v) for v in b)
        assert b[2] > 0 and b[3] > 0
        assert 1 / 6 < b[2] / b[3] < 6
    # the first frame's box is in the image and near the start (random weights: no accuracy claim)
    assert abs(boxes[0][0] - gt[0][0]) < 60 and abs(boxes[0][1] - gt[0][1]) < 60

    vis = RecordingVisdom()
    _, _, boxes_debug = run(network, frames, gt[0], visdom=vis, debug=3)
    assert boxes_debug == boxes  # same seed -> identical boxes; debug output never changes results
    titles = {(mode, level, title) for mode, level, title, _ in vis.blocks}
    assert ("heatmap", 2, "Score Map") in titles
    assert ("info_dict", 1, "Status") in titles
    assert ("lineplot", 3, "Training Loss") in titles and ("lineplot", 3, "CG Residuals") in titles
    status = [d for mode, _, title, d in vis.blocks if title == "Status"]
    assert [s["frame_num"] for s in status] == list(range(2, NUM_FRAMES + 1))
    assert all(s["flag"] in ("normal", "hard_negative", "uncertain", "not_found") for s in status)
    heat = next(d for mode, _, title, d in vis.blocks if title == "Score Map")
    assert heat.shape == (288, 288)
    losses = [d for mode, _, title, d in vis.blocks if title == "Training Loss"][0]
    assert losses.numel() >= 2 and losses[-1] < losses[0]  # first-frame Gauss-Newton reduced the loss



def test_debug_hook_is_lazy():
    class P:
        debug = 0

        def get(self, name, *default):
            return getattr(self, name, *default)

    t = BaseTracker(P())

    def explode():
        raise AssertionError("make_data must not run")

    t.debug_register(1, "info_dict", "Status", explode)  # no visdom
    t.visdom = RecordingVisdom()
    t.debug_register(1, "info_dict", "Status", explode)  # debug 0
    t.params.debug = 2
    t.debug_register(3, "lineplot", "x", explode)  # level above debug
    t.debug_register(2, "text", "y", lambda: "shown")
    assert t.visdom.blocks == [("text", 2, "y", "shown")]


def test_image_size_bounds(crossing, base_run):
    frames, _ = crossing
    tracker = base_run[0]
    h, w = frames[0].shape[:2]
    assert tracker.image_sz.tolist() == [h, w]
    base_h, base_w = tracker.base_target_sz.tolist()
    assert tracker.max_scale_factor == pytest.approx(min(h / base_h, w / base_w), rel=1e-5)
    assert tracker.min_scale_factor == pytest.approx(10 / base_w, rel=1e-5)
    # the classifier-only state update keeps the centre at least 20% of the target inside the image
    th, tw = tracker.target_sz.tolist()
    tracker._update_state(torch.tensor([-100.0, 10_000.0]))
    assert tracker.pos.tolist() == pytest.approx([-0.3 * th, w + 0.3 * tw], rel=1e-6)
    assert np.isfinite(tracker.pos.numpy()).all()
