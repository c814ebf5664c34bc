"""Issue 13 item 1: the initial box is validated, frames keep one size, reported boxes obey the box contract."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pytracking import run_video
from pytracking.evaluation.data import Sequence
from pytracking.evaluation.tracker import Tracker
from pytracking.tracker.base.boxes import FrameSizeError, InitBoxError, constrain_box, validate_init_box


def _crossing(shared_data: Path, n: int = 4) -> list[str]:
    return [str(shared_data / "otb" / "Crossing" / "img" / f"{i:04d}.jpg") for i in range(1, n + 1)]


def _seq(frames: list[str], box, name: str = "Crossing") -> Sequence:
    return Sequence(name, frames, "otb", np.tile(np.asarray(box, float), (len(frames), 1)),
                    init_data={"init_bbox": list(box)})


def test_init_box_entirely_outside_is_an_error_naming_sequence_and_box(shared_data, tmp_path):
    tracker = Tracker("evaltest_pkg.reliability", "echo", results_path=tmp_path)
    with pytest.raises(InitBoxError, match=r"otb/Crossing: initial box \[1000, 1000, 17, 50\] lies entirely outside "
                                           r"the 360x240 image"):
        tracker.run_sequence(_seq(_crossing(shared_data), [1000, 1000, 17, 50]))


@pytest.mark.parametrize("box", [[float("nan"), 0, 10, 10], [0, 0, 0, 10], [0, 0, 10, -3], [0, 0, float("inf"), 9]])
def test_init_box_not_finite_or_not_positive_is_an_error(box):
    with pytest.raises(InitBoxError, match="seqX"):
        validate_init_box(box, (240, 360), "seqX")


def test_init_box_partly_outside_is_clipped_with_one_warning(shared_data, tmp_path, capsys):
    tracker = Tracker("evaltest_pkg.reliability", "echo", results_path=tmp_path)
    out = tracker.run_sequence(_seq(_crossing(shared_data), [-100, -100, 1000, 1000]))
    # by hand: x in [-100, 900] & [0, 360] -> [0, 360]; y in [-100, 900] & [0, 240] -> [0, 240]
    assert out["target_bbox"].tolist() == [[0, 0, 360, 240]] * 4
    err = capsys.readouterr().err
    assert err.count("clipped to [0, 0, 360, 240]") == 1 and "otb/Crossing" in err


def test_reported_boxes_stay_in_image_and_size_limits(shared_data, tmp_path, capsys):
    tracker = Tracker("evaltest_pkg.reliability", "drift", results_path=tmp_path)
    frames = _crossing(shared_data, 12)
    boxes = tracker.run_sequence(_seq(frames, [300, 100, 40, 60]))["target_bbox"]
    x, y, w, h = boxes.T
    assert (x < 360).all() and (x + w > 0).all() and (y < 240).all() and (y + h > 0).all()
    assert (w <= 360).all() and (h <= 240).all() and (w >= 1).all() and (h >= 1).all()
    # the raw drift of frame 11 would be x = 300 + 330, w = 40 + 440: corrected to the image width, overlapping it
    assert w[11] == 360 and h[11] == 240 and x[11] + w[11] > 0 and x[11] < 360
    assert "box(es) left the image" in capsys.readouterr().err


def test_constrain_box_by_hand():
    # 10x10 image, limits 1..10: a box far right keeps its size and overlaps the image by exactly 1 px
    assert constrain_box([50, 2, 4, 4], (10, 10), (1, 1, 10, 10)) == [9, 2, 4, 4]
    # width 30 -> 10 around centre x 17 gives x 12, then moved left to overlap by 1 px: x 9; height 0.2 -> 1 around
    # centre y 2.1 gives y 1.6 (inside already)
    assert constrain_box([2, 2, 30, 0.2], (10, 10), (1, 1, 10, 10)) == pytest.approx([9, 1.6, 10, 1])


def test_frame_of_another_size_is_an_error_naming_the_frame(shared_data, tmp_path):
    frames = _crossing(shared_data, 4)
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), np.zeros((100, 120, 3), np.uint8))
    frames[2] = str(small)
    tracker = Tracker("evaltest_pkg.reliability", "echo", results_path=tmp_path)
    with pytest.raises(FrameSizeError, match=r"otb/Crossing frame 2 \(.*small.png\): image is 120x100 but the first "
                                             r"frame is 360x240"):
        tracker.run_sequence(_seq(frames, [10, 10, 20, 20]))


def test_run_video_with_box_outside_exits_2(tmp_path, capsys):
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for i in range(3):
        writer.write(np.full((48, 64, 3), 30 * i, np.uint8))
    writer.release()
    code = run_video.main(["evaltest_pkg.reliability", "echo", str(video), "--optional_box", "5000", "5000", "40",
                           "60"])
    assert code == 2
    err = capsys.readouterr().err
    assert "clip.avi: initial box [5000, 5000, 40, 60] lies entirely outside the 64x48 image" in err
    assert "Traceback" not in err


def test_run_vot_applies_the_same_box_contract(tmp_path):
    from collections import namedtuple
    from types import SimpleNamespace

    from evaltest_fixtures import make_sequence

    from pytracking import run_vot

    rect = namedtuple("Rectangle", ["x", "y", "width", "height"])
    seq_dir = make_sequence(tmp_path, "s", 6, (255, 0, 0))  # 48x32 frames
    frames = sorted(str(p) for p in (seq_dir / "img").glob("*.png"))

    def fake_vot(region):
        reports = []

        class VOT:
            def __init__(self, region_format):
                self._frames = list(frames)

            def region(self):
                return region

            def frame(self):
                return self._frames.pop(0) if self._frames else None

            def report(self, r, confidence=None):
                reports.append(tuple(r))

        return SimpleNamespace(VOT=VOT, Rectangle=rect), reports

    module, _ = fake_vot(rect(500, 500, 10, 10))
    with pytest.raises(InitBoxError, match=r"VOT sequence: initial box \[500, 500, 10, 10\] lies entirely outside"):
        run_vot.run_vot("evaltest_pkg.reliability", "echo", vot_module=module)
    module, reports = fake_vot(rect(30, 10, 10, 10))
    run_vot.run_vot("evaltest_pkg.reliability", "drift", vot_module=module)  # +30 px and +40 px size per frame
    for x, y, w, h in reports:
        assert x < 48 and x + w > 0 and y < 32 and y + h > 0 and 1 <= w <= 48 and 1 <= h <= 32
