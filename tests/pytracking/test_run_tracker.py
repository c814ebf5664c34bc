"""The run_tracker command line: boolean parsing, both invocation forms, exit codes, skip lines, shards."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytracking.run_tracker import build_parser, str2bool

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def test_str2bool_really_parses_false():
    for text in ("false", "False", "0", "no", "off", "N"):
        assert str2bool(text) is False
    for text in ("true", "TRUE", "1", "yes", "on", "y"):
        assert str2bool(text) is True
    with pytest.raises(argparse.ArgumentTypeError):
        str2bool("maybe")


def test_parser_options():
    args = build_parser().parse_args(
        ["atom", "default", "--runid", "3", "--dataset", "otb", "--sequence", "Couple", "--sequence", "4",
         "--debug", "2", "--threads", "2", "--use_visdom", "false", "--visdom_server", "10.0.0.1",
         "--visdom_port", "9000", "--save-float", "--shard", "2/4"]
    )
    assert (args.tracker_name, args.tracker_param, args.runid) == ("atom", "default", 3)
    assert args.sequence == ["Couple", "4"] and args.debug == 2 and args.threads == 2
    assert args.use_visdom is False and args.visdom_server == "10.0.0.1" and args.visdom_port == 9000
    assert args.save_float is True and args.shard == (2, 4)
    defaults = build_parser().parse_args(["atom", "default"])
    assert defaults.use_visdom is True and defaults.save_float is False and defaults.shard is None
    assert defaults.dataset == "otb" and defaults.runid is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["atom", "default", "--shard", "5/4"])


def _make_videos(root: Path) -> None:
    import cv2
    import numpy as np

    for name, n, bad in (("seq_a", 4, False), ("seq_b", 3, True), ("seq_c", 5, False)):
        (root / name / "img").mkdir(parents=True)
        for i in range(n):
            rgb = np.full((24, 32, 3), 50, np.uint8)
            rgb[0, 0] = (0, 0, 255) if bad and i == 0 else (255, 0, 0)
            cv2.imwrite(str(root / name / "img" / f"{i + 1:04d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        (root / name / "groundtruth.txt").write_text("".join(f"{3 + i},4,10,8\n" for i in range(n)))


def _run(args: list[str], tmp_path: Path, module: bool = False) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE / "evaluation"), env.get("PYTHONPATH", "")])
    env["PYTRACKING_RESULTS_PATH"] = str(tmp_path / "results")
    entry = ["-m", "pytracking.run_tracker"] if module else [str(REPO / "pytracking" / "run_tracker.py")]
    return subprocess.run([sys.executable, *entry, *args], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=120)


def test_cli_end_to_end_with_test_tracker(tmp_path):
    videos = tmp_path / "videos"
    _make_videos(videos)
    common = ["evaltest_pkg.trackers", "default", "--dataset", f"folder:{videos}"]
    first = _run(common, tmp_path)
    assert first.returncode == 1, first.stderr  # seq_b fails
    assert "seq_b: FAILED" in first.stdout and "Traceback" in first.stdout
    assert "Summary: 2 tracked, 0 skipped (results exist), 1 failed, 3 jobs" in first.stdout
    results = tmp_path / "results" / "trackers" / "default" / "folder"  # one sub-folder per dataset
    assert (results / "seq_a.txt").read_text() == "3\t4\t10\t8\n4\t4\t10\t8\n6\t4\t10\t8\n8\t4\t10\t8\n"
    assert len((results / "seq_c_time.txt").read_text().splitlines()) == 5
    assert not (results / "seq_b.txt").exists()

    again = _run([*common, "--sequence", "seq_a", "--sequence", "2"], tmp_path, module=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "seq_a: exists, skipped" in again.stdout and "seq_c: exists, skipped" in again.stdout


def test_cli_usage_errors_exit_2(tmp_path):
    videos = tmp_path / "videos"
    _make_videos(videos)
    unknown = _run(["evaltest_pkg.trackers", "default", "--dataset", f"folder:{videos}", "--sequence", "nope"],
                   tmp_path)
    assert unknown.returncode == 2 and "nope" in unknown.stderr
    bad_dataset = _run(["evaltest_pkg.trackers", "default", "--dataset", "nosuchset"], tmp_path)
    assert bad_dataset.returncode == 2 and "unknown dataset 'nosuchset'" in bad_dataset.stderr


@pytest.mark.slow
def test_cli_atom_on_real_otb_frames(tmp_path, shared_data):
    """ATOM (random-weight network) from the command line on the first 3 real frames of OTB Crossing."""
    import torch

    from ltr.admin.checkpoint import make_checkpoint, save_checkpoint
    from ltr.models.bbreg.atom import atom_resnet18

    torch.manual_seed(0)
    save_checkpoint(make_checkpoint(atom_resnet18(backbone_pretrained=None), 1), tmp_path / "nets" / "atom_default.pth")
    seq_dir = tmp_path / "videos" / "Crossing"
    (seq_dir / "img").mkdir(parents=True)
    src = shared_data / "otb" / "Crossing"
    for i in (1, 2, 3):
        (seq_dir / "img" / f"{i:04d}.jpg").symlink_to(src / "img" / f"{i:04d}.jpg")
    gt_lines = (src / "groundtruth_rect.txt").read_text().splitlines()[:3]
    (seq_dir / "groundtruth_rect.txt").write_text("\n".join(gt_lines) + "\n")

    env = dict(os.environ, PYTRACKING_NETWORK_PATH=str(tmp_path / "nets"),
               PYTRACKING_RESULTS_PATH=str(tmp_path / "results"))
    proc = subprocess.run(
        [sys.executable, str(REPO / "pytracking" / "run_tracker.py"), "atom", "default", "--dataset",
         f"folder:{tmp_path / 'videos'}", "--use_visdom", "false"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Crossing: 3 frames, FPS:" in proc.stdout
    result_dir = tmp_path / "results" / "atom" / "default" / "folder"
    rows = [[int(v) for v in line.split("\t")] for line in (result_dir / "Crossing.txt").read_text().splitlines()]
    assert len(rows) == 3
    assert rows[0] == [int(v) for v in gt_lines[0].replace(",", "\t").split("\t")]  # frame 0 = init box
    assert all(w > 0 and h > 0 for _, _, w, h in rows)
    times = (result_dir / "Crossing_time.txt").read_text().split()
    assert len(times) == 3 and all(float(t) > 0 for t in times)
