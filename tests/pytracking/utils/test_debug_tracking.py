"""ATOM on real frames: debugging shows the blocks but never changes the boxes, and costs nothing when off."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import pytracking.utils.visdom as pv
from pytracking.evaluation.data import Sequence
from pytracking.evaluation.tracker import Tracker
from pytracking.tracker.base.basetracker import BaseTracker
from pytracking.utils.visdom import Visdom
from pytracking.utils.visdom.render import Rendered

NUM_FRAMES = 4


class RecordingSink:
    name = "recording"

    def __init__(self) -> None:
        self.shown: list[tuple[str, str, Rendered]] = []

    def show(self, win: str, title: str, rendered: Rendered, frame: int) -> None:
        self.shown.append((win, title, rendered))

    def show_properties(self, win: str, title: str, properties: list[dict[str, Any]]) -> None:
        pass

    def close(self, win: str) -> None:
        pass

    def on_event(self, win: str, handler: Any) -> None:
        pass


@pytest.fixture(scope="module")
def network() -> torch.nn.Module:
    from ltr.models.bbreg.atom import atom_resnet18

    with torch.random.fork_rng():
        torch.manual_seed(0)
        return atom_resnet18(backbone_pretrained=None).eval()


@pytest.fixture(scope="module")
def crossing(shared_data: Path) -> Sequence:
    root = shared_data / "otb" / "Crossing"
    frames = [str(root / "img" / f"{i:04d}.jpg") for i in range(1, NUM_FRAMES + 1)]
    gt = np.loadtxt(root / "groundtruth_rect.txt", delimiter="\t")[:NUM_FRAMES]
    return Sequence("Crossing", frames, "otb", gt)


def light_parameters(net: torch.nn.Module, use_gpu: bool = False):
    """The published settings with less first-frame work (a random network; only determinism matters here)."""
    from pytracking.features.extractors import ATOMResNet18
    from pytracking.parameter.atom.default import base_parameters

    params = base_parameters("unused.pth")
    params.features = ATOMResNet18(net=net, output_layer="layer3", fparams=params.features.fparams,
                                   normalize_power=2)
    params.use_gpu = use_gpu
    params.augmentation = {"fliplr": True, "blur": [(2, 0.2)]}
    params.init_CG_iter = 8
    params.init_GN_iter = 2
    params.train_skipping = 2  # the online optimiser runs within the few frames (its plots are level 3)
    return params


def _run(network, seq, debug: int, monkeypatch, sink: RecordingSink | None, use_gpu: bool = False):
    monkeypatch.setattr(pv, "create_visdom", lambda debug, visdom_info: Visdom(debug, sink=sink))
    tracker = Tracker("atom", "default", parameters=lambda: light_parameters(network, use_gpu))
    info = {"use_visdom": True, "server": "127.0.0.1", "port": 1}
    return tracker.run_sequence(seq, debug=debug, visdom_info=info)["target_bbox"]


@pytest.mark.slow
def test_boxes_identical_with_debug_4_and_debug_0(network, crossing, monkeypatch: pytest.MonkeyPatch) -> None:
    sink = RecordingSink()
    boxes_debug = _run(network, crossing, 4, monkeypatch, sink)  # every block ATOM has
    boxes_plain = _run(network, crossing, 0, monkeypatch, None)
    assert boxes_debug.shape == (NUM_FRAMES, 4)
    np.testing.assert_array_equal(boxes_debug, boxes_plain)  # bit-identical, not merely close
    titles = Counter(title.split(" (frame")[0] for _, title, _ in sink.shown)
    assert titles["Tracking"] == NUM_FRAMES and titles["Status"] == NUM_FRAMES - 1
    assert titles["Score Map"] == NUM_FRAMES - 1
    assert titles["Training Loss"] >= 1 and titles["CG Residuals"] >= 1
    assert titles["Gradient Magnitude"] == titles["Training Loss"]  # level 4, drawn with the level-3 plots
    assert titles["IoU-Net Boxes"] == NUM_FRAMES - 1  # one refinement per tracked frame
    bbreg = [r.value for w, _, r in sink.shown if w == "iou_net_boxes"]
    yellow = np.all(bbreg[0] == (255, 220, 0), axis=2)  # refined boxes are drawn in yellow on the 288² sample
    assert bbreg[0].shape == (288, 288, 3) and yellow.sum() > 100
    # one gradient magnitude per Gauss–Newton step, one loss per step plus a final one per optimiser run; the plots
    # are drawn after every run (the first frame's, then each online update's), so the last plot holds all of them
    last_loss = [r.value for w, _, r in sink.shown if w == "training_loss"][-1]
    last_mags = [r.value for w, _, r in sink.shown if w == "gradient_magnitude"][-1]
    runs = titles["Training Loss"]
    steps = 2 + (runs - 1)  # init_GN_iter = 2 in light_parameters, then one step per online update
    assert last_mags[1].size == steps and last_loss[1].size == steps + runs
    tracking = [r.value for w, _, r in sink.shown if w == "tracking"]
    assert tracking[0].shape == (240, 360, 3)  # Crossing is 360x240: already within 480
    status = [r.value for w, _, r in sink.shown if w == "status"]
    assert "<td>2</td>" in status[0]  # frame_num of the first tracked frame (1-based in ATOM)
    # every pane names a frame by the same number: each Status frame_num equals the next Tracking title's number
    status_nums = [int(re.search(r"frame_num</b></td><td>(\d+)<", v).group(1)) for v in status]
    tracking_nums = [int(re.search(r"\(frame (\d+)\)", t).group(1)) for w, t, _ in sink.shown if w == "tracking"]
    assert tracking_nums == list(range(1, NUM_FRAMES + 1)) and status_nums == tracking_nums[1:]


@pytest.mark.slow
def test_debug_or_visdom_off_never_builds_debug_data(network, crossing, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: Counter[str] = Counter()
    original = BaseTracker.debug_register

    def spy(self, level, mode, title, make_data):
        def counted():
            calls[title] += 1
            return make_data()

        return original(self, level, mode, title, counted)

    monkeypatch.setattr(BaseTracker, "debug_register", spy)

    def no_client(debug, visdom_info):
        raise AssertionError("no debug client may be created with debug 0")

    monkeypatch.setattr(pv, "create_visdom", no_client)
    tracker = Tracker("atom", "default", parameters=lambda: light_parameters(network))
    tracker.run_sequence(crossing, debug=0, visdom_info={"use_visdom": True, "port": 1})
    assert sum(calls.values()) == 0
    # --debug 2 --use_visdom false: really off (no client, no connection attempt, nothing built)
    tracker.run_sequence(crossing, debug=2, visdom_info={"use_visdom": False, "port": 1})
    assert sum(calls.values()) == 0
    # and at level 1 only level-1 blocks are built (the score map is never copied off the device)
    sink = RecordingSink()
    _run(network, crossing, 1, monkeypatch, sink)
    assert set(calls) == {"Status"} and calls["Status"] == NUM_FRAMES - 1


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_debug_blocks_from_cuda_tensors_leave_boxes_unchanged(network, crossing,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    sink = RecordingSink()
    boxes_debug = _run(network, crossing, 3, monkeypatch, sink, use_gpu=True)
    boxes_plain = _run(network, crossing, 0, monkeypatch, None, use_gpu=True)
    np.testing.assert_array_equal(boxes_debug, boxes_plain)
    assert any(w == "score_map" for w, _, _ in sink.shown)


def test_max_frames_option_parses_positive_counts_only() -> None:
    """``run_tracker.py --max-frames N`` (debugging a few frames); the browser test runs it for real."""
    from pytracking.run_tracker import build_parser

    assert build_parser().parse_args(["atom", "default", "--max-frames", "3"]).max_frames == 3
    assert build_parser().parse_args(["atom", "default"]).max_frames is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["atom", "default", "--max-frames", "0"])
