"""ATOM's boxes must not change under refactoring: `atom default` (random-weight network, seed 0, one torch thread)
on the first 12 OTB Crossing frames, recorded BEFORE the typed-parameter / registry rework (issue 10).

On the platform the boxes were recorded on they must agree to 1e-3 px: the speed work of issue 14 (pooled maps in
channels-innermost layout, test-branch features over a tighter region) reorders float32 sums, which moved these 12
frames by at most 1.5e-5 px, while a half-pixel change in the IoU-Net start box moves them by 10.7 px. Elsewhere
(another torch build or CPU, whose float reductions may round differently) they must agree to 0.05 px. Over longer
runs the random-weight tracker is chaotic (near-ties between score peaks amplify rounding), so the 120-frame
trajectory is no longer compared exactly.
"""

from __future__ import annotations

import platform
import re

import cv2
import pytest
import torch

from ltr.models.bbreg.atom import atom_resnet18
from pytracking.features.extractors import ATOMResNet18
from pytracking.parameter.atom.default import base_parameters
from pytracking.tracker.atom.atom import ATOM

RECORDED_ON = ("2.13.0+cpu", "x86_64")
EXPECTED = [
    "205.0,151.0,17.0,50.0",
    "201.3338623046875,149.7704620361328,20.705385208129883,51.41057205200195",
    "198.2086944580078,151.52786254882812,25.77196502685547,48.710845947265625",
    "198.1384735107422,153.9495086669922,25.77513885498047,45.01735305786133",
    "194.59486389160156,154.32496643066406,28.691911697387695,44.66743087768555",
    "189.81898498535156,154.19296264648438,34.034690856933594,45.40655517578125",
    "187.65658569335938,158.08900451660156,39.20862579345703,41.145469665527344",
    "177.82301330566406,157.1668701171875,47.701148986816406,33.18552780151367",
    "177.0982666015625,163.55154418945312,53.329132080078125,29.50209617614746",
    "170.22010803222656,159.60873413085938,59.015682220458984,28.384830474853516",
    "167.16790771484375,163.8177032470703,64.38263702392578,23.765302658081055",
    "166.106689453125,158.8210906982422,66.7655258178711,22.237510681152344",
]


@pytest.fixture
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_atom_default_boxes_unchanged(shared_data, one_thread):
    seq = shared_data / "otb" / "Crossing"
    first = re.split(r"[,\s]+", (seq / "groundtruth_rect.txt").read_text().strip().splitlines()[0].strip())
    box = [float(v) for v in first[:4]]
    torch.manual_seed(0)
    net = atom_resnet18(backbone_pretrained=False).eval()
    params = base_parameters()
    params.use_gpu = False
    params.features = ATOMResNet18(net=net, fparams=params.features.fparams, channels_last=True)
    tracker = ATOM(params)
    frames = [cv2.cvtColor(cv2.imread(str(seq / "img" / f"{i:04d}.jpg")), cv2.COLOR_BGR2RGB)
              for i in range(1, len(EXPECTED) + 1)]
    tracker.initialize(frames[0], {"init_bbox": box})
    got = [",".join(repr(float(v)) for v in box)]
    got += [",".join(repr(float(v)) for v in tracker.track(im)["target_bbox"]) for im in frames[1:]]
    atol = 1e-3 if (torch.__version__, platform.machine()) == RECORDED_ON else 0.05
    torch.testing.assert_close(torch.tensor([[float(v) for v in r.split(",")] for r in got], dtype=torch.float64),
                               torch.tensor([[float(v) for v in r.split(",")] for r in EXPECTED], dtype=torch.float64),
                               atol=atol, rtol=0)
