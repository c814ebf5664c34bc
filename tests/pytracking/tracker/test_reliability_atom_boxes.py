"""Issue 13 item 1 with the real ATOM tracker: an initial box larger than the image (clipped) never produces a box
outside the image or larger than it (today: 59,-451,1286,2094 by frame 3)."""

from __future__ import annotations

import numpy as np
import torch

from ltr.models.bbreg.atom import atom_resnet18
from pytracking.evaluation.data import Sequence
from pytracking.evaluation.tracker import Tracker
from pytracking.features.extractors import ATOMResNet18
from pytracking.parameter.atom.default import base_parameters
from pytracking.tracker.atom.atom import ATOM


def _params():
    torch.manual_seed(0)
    net = atom_resnet18(backbone_pretrained=False)
    params = base_parameters()
    params.use_gpu = False
    params.features = ATOMResNet18(net=net, fparams=params.features.fparams, channels_last=True)
    return params


def test_atom_boxes_stay_inside_image_and_limits(shared_data, tmp_path):
    frames = [str(shared_data / "otb" / "Crossing" / "img" / f"{i:04d}.jpg") for i in range(1, 5)]
    seq = Sequence("Crossing", frames, "otb", np.zeros((4, 4)), init_data={"init_bbox": [-100, -100, 1000, 1000]})
    tracker = Tracker("atom", "default", tracker_class=ATOM, parameters=_params, results_path=tmp_path)
    boxes = tracker.run_sequence(seq)["target_bbox"]
    x, y, w, h = boxes.T
    assert (x < 360).all() and (x + w > 0).all() and (y < 240).all() and (y + h > 0).all()
    assert (w <= 360).all() and (h <= 240).all() and (w >= 1).all() and (h >= 1).all()
