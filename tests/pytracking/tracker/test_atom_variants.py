"""The ATOM parameter variants run end to end on real frames (random-weight network) with their own code paths."""

from __future__ import annotations

import importlib
import math

import cv2
import pytest
import torch

from ltr.models.bbreg.atom import atom_resnet18
from pytracking.features.extractors import ATOMResNet18
from pytracking.tracker.atom.atom import ATOM


@pytest.fixture(scope="module")
def frames(shared_data):
    seq = shared_data / "otb" / "Crossing"
    ims = [cv2.cvtColor(cv2.imread(str(seq / "img" / f"{i:04d}.jpg"), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
           for i in range(1, 5)]
    return ims, [205.0, 151.0, 17.0, 50.0]


def tracker_for(name: str) -> ATOM:
    torch.manual_seed(0)
    params = importlib.import_module(f"pytracking.parameter.atom.{name}").parameters()
    params.use_gpu = False
    params.augmentation = {"fliplr": True, "dropout": (2, 0.2)}  # fewer first-frame samples: a faster test
    params.features = ATOMResNet18(net=atom_resnet18(backbone_pretrained=False), fparams=params.features.fparams,
                                   channels_last=True)
    return ATOM(params)


def test_multiscale_without_iounet(frames):
    ims, box = frames
    t = tracker_for("multiscale_no_iounet")
    t.initialize(ims[0], {"init_bbox": box})
    assert t.classifier.memory.num_init == 4 and not t.use_iou_net
    scale0 = t.target_scale
    for im in ims[1:]:
        b = t.track(im)["target_bbox"]
        assert len(b) == 4 and all(math.isfinite(v) for v in b)
        # the size follows the scale exactly: target_sz = base size * scale, scale from products of 1.02^k
        torch.testing.assert_close(t.target_sz, t.base_target_sz * t.target_scale)
    steps = math.log(t.target_scale / scale0) / math.log(1.02)
    assert abs(steps - round(steps)) < 1e-3 or t.target_scale in (t.min_scale_factor, t.max_scale_factor)


def test_vot_setting_uses_window_and_smaller_sample(frames):
    ims, box = frames
    t = tracker_for("default_vot")
    t.initialize(ims[0], {"init_bbox": box})
    assert t.img_sample_sz.tolist() == [224.0, 224.0] and t.output_window is not None
    assert t.output_window.shape == (224, 224) and t.output_window[0, 0].item() == 1.0
    flags = []
    t.visdom = type("V", (), {"register": lambda self, d, m, lv, ti: flags.append(d["flag"]) if ti == "Status"
                              else None})()
    t.params.debug = 1
    for im in ims[1:]:
        b = t.track(im)["target_bbox"]
        assert b[2] > 0 and b[3] > 0
    assert "not_found" not in flags and "uncertain" not in flags  # disabled in the VOT setting
