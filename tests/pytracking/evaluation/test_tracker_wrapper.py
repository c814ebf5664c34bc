"""The Tracker wrapper with an injected test tracker: frames, boxes, timing, parameters, results folder."""

from __future__ import annotations

import numpy as np
import pytest
from evaltest_fixtures import make_folder_dataset
from evaltest_pkg.trackers import BadSequenceTracker, EchoTracker, Params, get_parameters

from pytracking.evaluation.datasets import get_dataset
from pytracking.evaluation.tracker import Tracker, as_box


@pytest.fixture
def folder(tmp_path):
    return make_folder_dataset(tmp_path / "videos", bad=("seq_b",))


def test_run_sequence_reads_rgb_and_records_boxes_and_times(folder, tmp_path):
    seq = get_dataset(f"folder:{folder}", sequences=["seq_a"])[0]
    created = []

    class Recording(EchoTracker):
        def __init__(self, params):
            super().__init__(params)
            created.append(self)

    tracker = Tracker("echo", "p", tracker_class=Recording, parameters=lambda: Params(step=2.0),
                      results_path=tmp_path / "res")
    out = tracker.run_sequence(seq)
    # frame 0 = init box; frame k = init box moved 2k px in x
    expected = [[10.0 + 2 * k, 12.0, 20.0, 16.0] for k in range(5)]
    assert out["target_bbox"].tolist() == expected
    assert len(out["time"]) == 5 and all(t >= 0 for t in out["time"])
    assert created[0].pixels[0] == [255, 0, 0]  # RGB, not BGR
    assert created[0].pixels[1] == [41, 41, 41]
    assert tracker.results_dir == tmp_path / "res" / "echo" / "p"


def test_network_loading_is_not_counted_in_frame0(folder, tmp_path):
    seq = get_dataset(f"folder:{folder}", sequences=["seq_a"])[0]
    tracker = Tracker("evaltest_pkg.trackers", "slownet", results_path=tmp_path)
    out = tracker.run_sequence(seq)
    assert out["time"][0] < 0.15  # SlowNet.initialize sleeps 0.3 s, done by the wrapper before the clock starts


def test_module_path_tracker_and_run_id(tmp_path):
    tracker = Tracker("evaltest_pkg.trackers", "default", run_id=3, results_path=tmp_path)
    assert tracker.tracker_class() is BadSequenceTracker
    assert tracker.get_parameters().step == 1.5
    assert tracker.results_dir == tmp_path / "trackers" / "default_003"


def test_params_object_is_copied_per_run(tmp_path):
    params = get_parameters("default")
    tracker = Tracker("echo", "p", tracker_class=EchoTracker, parameters=params, results_path=tmp_path)
    p1 = tracker.get_parameters()
    p1.step = 99
    assert tracker.get_parameters().step == 1.5 and params.step == 1.5


def test_missing_tracker_module_message():
    with pytest.raises(ModuleNotFoundError, match="pytracking/tracker/nosuchtracker"):
        Tracker("nosuchtracker", "default").tracker_class()


def test_invalid_box_from_tracker_is_an_error_naming_frame(folder, tmp_path):
    class Broken(EchoTracker):
        def track(self, image, info=None):
            return {"target_bbox": [1.0, float("nan"), 2.0, 3.0]}

    seq = get_dataset(f"folder:{folder}", sequences=["seq_a"])[0]
    tracker = Tracker("b", "p", tracker_class=Broken, parameters=lambda: Params(step=1), results_path=tmp_path)
    with pytest.raises(ValueError, match="seq_a frame 1"):
        tracker.run_sequence(seq)


def test_as_box_accepts_arrays_and_tensors():
    import torch

    assert as_box(np.array([1, 2, 3, 4]), "x") == [1.0, 2.0, 3.0, 4.0]
    assert as_box(torch.tensor([[1.5, 2, 3, 4]]), "x") == [1.5, 2.0, 3.0, 4.0]
    with pytest.raises(ValueError):
        as_box([1, 2, 3], "x")


def test_run_video_headless_with_given_box(tmp_path):
    import cv2

    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (48, 32))
    for i in range(6):
        writer.write(np.full((32, 48, 3), 20 * i, dtype=np.uint8))
    writer.release()
    tracker = Tracker("echo", "p", tracker_class=EchoTracker, parameters=lambda: Params(step=1.0),
                      results_path=tmp_path / "res")
    out = tracker.run_video(video, optional_box=[5, 6, 7, 8], show=False, save_results=True)
    assert out["target_bbox"].tolist() == [[5.0 + k, 6.0, 7.0, 8.0] for k in range(6)]
    assert (tmp_path / "res" / "echo" / "p" / "video_clip.txt").read_text().splitlines()[-1] == "10\t6\t7\t8"
    with pytest.raises(RuntimeError, match="no initial box"):
        tracker.run_video(video, show=False)


def test_explicit_results_dir_and_tracker_reported_init_time(folder, tmp_path):
    class SelfTimed(EchoTracker):
        def initialize(self, image, info):
            super().initialize(image, info)
            return {"time": 123.0}

    seq = get_dataset(f"folder:{folder}", sequences=["seq_a"])[0]
    tracker = Tracker("t", "p", tracker_class=SelfTimed, parameters=lambda: Params(step=1.0),
                      results_dir=tmp_path / "ckpt_ep0003")
    assert tracker.results_dir == tmp_path / "ckpt_ep0003"
    out = tracker.run_sequence(seq)
    assert out["time"][0] == 123.0 and out["time"][1] < 123.0


def test_visdom_adapter_registers_tracking_block_and_honours_pause(folder, tmp_path, monkeypatch):
    import sys
    import types

    calls = {"created": [], "blocks": [], "waits": 0}

    class FakeClient:
        def register(self, data, mode, level, title):
            calls["blocks"].append((mode, level, title, data[1], data[2]))

        def wait_while_paused(self):
            calls["waits"] += 1

    fake = types.ModuleType("pytracking.utils.visdom")
    fake.create_visdom = lambda debug, visdom_info: calls["created"].append((debug, visdom_info)) or FakeClient()
    monkeypatch.setitem(sys.modules, "pytracking.utils.visdom", fake)
    seq = get_dataset(f"folder:{folder}", sequences=["seq_d"])[0]
    seen_visdom = []

    class Seeing(EchoTracker):
        def initialize(self, image, info):
            seen_visdom.append(self.visdom)
            return super().initialize(image, info)

    tracker = Tracker("t", "p", tracker_class=Seeing, parameters=lambda: Params(step=1.0), results_path=tmp_path)
    info = {"use_visdom": True, "server": "127.0.0.1", "port": 8097}
    tracker.run_sequence(seq, debug=1, visdom_info=info)
    assert calls["created"] == [(1, info)] and isinstance(seen_visdom[0], FakeClient)
    assert calls["waits"] == 3
    assert [b[:3] for b in calls["blocks"]] == [("Tracking", 1, "Tracking")] * 3
    assert calls["blocks"][1][3] == [11.0, 12.0, 20.0, 16.0] and calls["blocks"][1][4] == [11.0, 12.0, 20.0, 16.0]
    # visdom off, or debug 0: no client at all
    calls["created"].clear()
    tracker.run_sequence(seq, debug=1, visdom_info={**info, "use_visdom": False})
    tracker.run_sequence(seq, debug=0, visdom_info=info)
    assert calls["created"] == []
