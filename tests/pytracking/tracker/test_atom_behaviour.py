"""ATOM as a whole: scale following, the hard-negative memory update, the IoU-Net box in sample coordinates and the
not-found / uncertain branches, each checked against values computed here by hand from the published rules.

Why an oracle IoU-Net: a random-weight network cannot predict boxes, so these tests replace only the box optimiser
(``iounet.optimize_boxes``) by one that returns the true box of the synthetic target in the sample's coordinates
(computed here from the sample position and scale the tracker uses). Everything the tracker does around it - which
box it starts from, how the refined box maps back to the image, how the scale is updated, which branch updates what -
is the real code. Where a test needs a particular localisation outcome, ``localize_advanced`` is replaced by a stub
returning that outcome (its own rules are tested on hand-made score maps in ``test_atom_localization.py``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import pytracking.tracker.atom.atom as atom_module
from ltr.models.bbreg.atom import atom_resnet18
from pytracking.features.extractors import ATOMResNet18
from pytracking.parameter.atom.default import base_parameters
from pytracking.tracker.atom import iounet
from pytracking.tracker.atom.atom import ATOM
from pytracking.tracker.atom.localization import Localization

H, W = 240, 320
CENTRE = (120.0, 160.0)  # (row, col) of the synthetic target's centre, fixed
SIZE0 = (30.0, 40.0)  # (h, w) in the first frame


@pytest.fixture(scope="module")
def network():
    torch.manual_seed(0)
    return atom_resnet18(backbone_pretrained=False).eval()


def frame(size: tuple[float, float]) -> np.ndarray:
    """A textured background with a checkered target of ``size`` (h, w) centred at CENTRE."""
    rng = np.random.default_rng(3)
    im = (rng.random((H, W, 3)) * 80).astype(np.uint8)
    h, w = size
    r0, c0 = round(CENTRE[0] - h / 2), round(CENTRE[1] - w / 2)
    rr, cc = np.mgrid[0:round(h), 0:round(w)]
    im[r0:r0 + round(h), c0:c0 + round(w)] = np.where(((rr // 5 + cc // 5) % 2)[..., None] == 0, 250, 140)
    return im


def make_tracker(net, **overrides) -> ATOM:
    params = base_parameters()
    params.use_gpu = False
    params.features = ATOMResNet18(net=net, fparams=params.features.fparams)
    params.augmentation = {"fliplr": True}  # 2 first-frame samples: fast, and num_init > 1
    params.features.fparams.learning_rate = 0.01  # distinct from hard_negative_learning_rate (0.02)
    for k, v in overrides.items():
        setattr(params, k, v)
    return ATOM(params)


def init_box(size: tuple[float, float]) -> list[float]:
    """``[x, y, w, h]`` whose tracker centre ``x + (w-1)/2, y + (h-1)/2`` is CENTRE."""
    h, w = size
    return [CENTRE[1] - (w - 1) / 2, CENTRE[0] - (h - 1) / 2, w, h]


class OracleIoUNet:
    """Stands in for ``iounet.optimize_boxes``: returns the true target box in the current sample's coordinates.

    By the published convention a refined sample box ``[x, y, w, h]`` maps to the image centre
    ``(x + w/2 - (S-1)/2) * scale + sample_pos`` (per axis) and size ``[w, h] * scale``; the oracle inverts that
    by hand.
    """

    def __init__(self, tracker: ATOM) -> None:
        self.tracker = tracker
        self.true_size: tuple[float, float] = SIZE0
        self.start_boxes: list[torch.Tensor] = []
        self.sample_pos: torch.Tensor | None = None
        self.sample_scale: float | None = None

    def before_frame(self, true_size: tuple[float, float]) -> None:
        self.true_size = true_size
        self.sample_pos = self.tracker.pos.round()  # the tracker samples at its rounded position ...
        self.sample_scale = self.tracker.target_scale  # ... and current scale (scale_factors = [1])

    def __call__(self, iou_and_grad, boxes, num_iter, step_length, step_decay=1.0, space="default"):
        self.start_boxes.append(boxes[0].clone())
        s, (sp_r, sp_c) = self.sample_scale, self.sample_pos.tolist()
        S = float(self.tracker.iou_img_sample_sz[0])
        h, w = self.true_size[0] / s, self.true_size[1] / s
        x = (CENTRE[1] - sp_c) / s + (S - 1) / 2 - w / 2
        y = (CENTRE[0] - sp_r) / s + (S - 1) / 2 - h / 2
        box = torch.tensor([[x, y, w, h]] * 3, dtype=torch.float32)
        return box, torch.ones(3)


def stub_localization(monkeypatch, flag: str, disp=(0.0, 0.0)) -> None:
    def fake(scores, neighbourhood_sz, p, second_peak_scores=None):
        return Localization(torch.tensor(disp, dtype=torch.float32), 0, flag, 1.0)

    monkeypatch.setattr(atom_module, "localize_advanced", fake)


@pytest.mark.parametrize("growth", [1.05, 1 / 1.05])
def test_scale_follows_a_growing_or_shrinking_target(network, monkeypatch, growth):
    tracker = make_tracker(network, target_not_found_threshold=-1.0, distractor_threshold=100.0)
    oracle = OracleIoUNet(tracker)
    monkeypatch.setattr(iounet, "optimize_boxes", oracle)
    tracker.initialize(frame(SIZE0), {"init_bbox": init_box(SIZE0)})
    scale0 = tracker.target_scale
    # published rule: scale = sqrt(target area / base area) with base = first size / first scale
    assert scale0 == pytest.approx(math.sqrt(SIZE0[0] * SIZE0[1] * 25) / 288)
    for t in range(1, 6):
        size = (SIZE0[0] * growth ** t, SIZE0[1] * growth ** t)
        oracle.before_frame(size)
        box = tracker.track(frame(size))["target_bbox"]
        assert tracker.target_scale == pytest.approx(scale0 * growth ** t, rel=1e-5)
        expected = [CENTRE[1] - (size[1] - 1) / 2, CENTRE[0] - (size[0] - 1) / 2, size[1], size[0]]
        assert box == pytest.approx(expected, abs=1e-3)


def test_iounet_start_box_in_sample_coordinates(network, monkeypatch):
    """The box the refinement starts from is the current target in the sample: centre
    ``(pos - sample_pos) / scale + (S-1)/2``, top-left ``centre - (size/scale - 1)/2``."""
    tracker = make_tracker(network, use_classifier=False)  # pos stays where it was: the start box is known
    oracle = OracleIoUNet(tracker)
    monkeypatch.setattr(iounet, "optimize_boxes", oracle)
    tracker.initialize(frame(SIZE0), {"init_bbox": [148.3, 104.6, 41.0, 29.0]})
    for _ in range(2):
        pos, sz, s = tracker.pos.clone(), tracker.target_sz.clone(), tracker.target_scale
        oracle.before_frame(SIZE0)
        tracker.track(frame(SIZE0))
        sp = pos.round()
        S = float(tracker.iou_img_sample_sz[0])
        cy, cx = ((pos[0] - sp[0]) / s + (S - 1) / 2).item(), ((pos[1] - sp[1]) / s + (S - 1) / 2).item()
        h, w = sz[0].item() / s, sz[1].item() / s
        expected = [cx - (w - 1) / 2, cy - (h - 1) / 2, w, h]
        assert oracle.start_boxes[-1].tolist() == pytest.approx(expected, abs=1e-4)


def test_hard_negative_memory_weights_by_hand(network, monkeypatch):
    tracker = make_tracker(network, hard_negative_CG_iter=3, train_skipping=1000)
    oracle = OracleIoUNet(tracker)
    monkeypatch.setattr(iounet, "optimize_boxes", oracle)
    tracker.initialize(frame(SIZE0), {"init_bbox": init_box(SIZE0)})
    runs = []
    monkeypatch.setattr(tracker.classifier, "run", lambda n: runs.append(n))
    mem = tracker.classifier.memory
    n = mem.num_init
    assert n == 2 and mem.weights[:n].tolist() == [0.5, 0.5]

    stub_localization(monkeypatch, "hard_negative")
    oracle.before_frame(SIZE0)
    tracker.track(frame(SIZE0))
    lr = 0.02  # hard_negative_learning_rate, not the feature's 0.01
    # first update: old weights / (1 - lr), new slot lr, normalise (initial samples keep >= 0.25: no clamp)
    old, new = 0.5 / (1 - lr), lr
    total = 2 * old + new
    assert mem.weights[:3].tolist() == pytest.approx([old / total, old / total, new / total], rel=1e-6)
    assert mem.num_stored == 3 and runs == [3]  # hard_negative_CG_iter, although train_skipping is not due

    stub_localization(monkeypatch, "normal")
    oracle.before_frame(SIZE0)
    tracker.track(frame(SIZE0))
    w = [old / total, old / total, new / total]
    w.append(w[2] / (1 - 0.01))  # normal frame: the feature's learning rate
    total2 = sum(w)
    assert mem.weights[:4].tolist() == pytest.approx([v / total2 for v in w], rel=1e-6)
    assert runs == [3]  # no CG on a normal frame before train_skipping is due


def test_not_found_keeps_the_state_and_skips_the_update(network, monkeypatch):
    tracker = make_tracker(network, train_skipping=1000)
    oracle = OracleIoUNet(tracker)
    monkeypatch.setattr(iounet, "optimize_boxes", oracle)
    tracker.initialize(frame(SIZE0), {"init_bbox": init_box(SIZE0)})
    stub_localization(monkeypatch, "not_found", disp=(5.0, -7.0))
    pos, sz, scale, stored = tracker.pos.clone(), tracker.target_sz.clone(), tracker.target_scale, 2
    oracle.before_frame((40.0, 50.0))
    box = tracker.track(frame((40.0, 50.0)))["target_bbox"]
    assert torch.equal(tracker.pos, pos) and torch.equal(tracker.target_sz, sz) and tracker.target_scale == scale
    assert tracker.classifier.memory.num_stored == stored and oracle.start_boxes == []  # no refinement either
    assert box == pytest.approx(init_box(SIZE0))


@pytest.mark.parametrize("update_scale", [False, True])
def test_uncertain_moves_but_updates_scale_only_when_asked(network, monkeypatch, update_scale):
    tracker = make_tracker(network, update_scale_when_uncertain=update_scale, train_skipping=1000)
    oracle = OracleIoUNet(tracker)
    monkeypatch.setattr(iounet, "optimize_boxes", oracle)
    tracker.initialize(frame(SIZE0), {"init_bbox": init_box(SIZE0)})
    scale0 = tracker.target_scale
    stub_localization(monkeypatch, "uncertain")
    grown = (SIZE0[0] * 1.2, SIZE0[1] * 1.2)
    oracle.before_frame(grown)
    box = tracker.track(frame(grown))["target_bbox"]
    assert box == pytest.approx([CENTRE[1] - (grown[1] - 1) / 2, CENTRE[0] - (grown[0] - 1) / 2, grown[1], grown[0]],
                                abs=1e-3)  # the refined box is used either way
    assert tracker.target_scale == pytest.approx(scale0 * 1.2 if update_scale else scale0, rel=1e-6)
    assert tracker.classifier.memory.num_stored == 2  # an uncertain frame is never learnt from
