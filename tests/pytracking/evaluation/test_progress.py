"""Tracking progress: frame bars on a terminal (also from worker processes), one line per sequence otherwise."""

from __future__ import annotations

import pytest
from evaltest_fixtures import make_folder_dataset

from pytracking.evaluation.datasets import get_dataset
from pytracking.evaluation.progress import throttled_reporter
from pytracking.evaluation.running import run_dataset
from pytracking.evaluation.tracker import Tracker


@pytest.fixture
def dataset(tmp_path):
    root = make_folder_dataset(tmp_path / "videos")
    return get_dataset(f"folder:{root}", report=None)[["seq_a", "seq_b"]]


def _tracker(tmp_path):
    return Tracker("evaltest_pkg.trackers", "default", results_path=tmp_path / "results")


def test_tracker_reports_every_frame(dataset, tmp_path):
    seen: list[int] = []
    out = _tracker(tmp_path).run_sequence(dataset[1], progress=seen.append)
    assert seen == list(range(1, len(dataset[1].frames) + 1)) and len(out["target_bbox"]) == len(seen)


def test_throttle_sends_first_and_last():
    sent: list[int] = []
    report = throttled_reporter(sent.append, total=1000, interval=60.0)
    for i in range(1, 1001):
        report(i)
    assert sent == [1, 1000]


def test_logs_get_one_line_per_sequence_and_no_bar(dataset, tmp_path, capsys):
    lines: list[str] = []
    run_dataset(dataset, [_tracker(tmp_path)], log=lines.append, progress=False)
    assert len(lines) == 3 and lines[0].startswith("[1/2]") and lines[2].startswith("Summary")
    assert "frame" not in capsys.readouterr().err


@pytest.mark.parametrize("threads", [0, 2])
def test_terminal_gets_a_frame_bar_per_sequence(dataset, tmp_path, capsys, threads):
    lines: list[str] = []
    report = run_dataset(dataset, [_tracker(tmp_path / str(threads))], log=lines.append, progress=True,
                         threads=threads)
    assert report.ok and len(lines) == 3  # the bars add no log lines
    err = capsys.readouterr().err
    for seq in dataset:  # one bar per sequence, named and counting frames (from the workers too)
        assert f"evaltest_pkg.trackers default / {seq.name}" in err
    assert "frame" in err
