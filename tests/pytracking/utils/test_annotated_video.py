"""Annotated MP4 output: decodes back to the right frame count, boxes in the right colours, atomic on failure."""

from __future__ import annotations

import numpy as np
import pytest

from pytracking.utils.annotated_video import AnnotatedVideoWriter, count_frames, draw_annotations


def test_video_decodes_to_the_written_frames(tmp_path):
    path = tmp_path / "out.mp4"
    with AnnotatedVideoWriter(path, fps=10) as w:
        for i in range(7):
            w.write(np.full((96, 128, 3), 40 * i % 255, np.uint8), [20, 20, 40, 30], [60, 40, 30, 30], i + 1)
    assert path.is_file() and not (tmp_path / ".out.partial.mp4").exists()
    assert count_frames(path) == 7


def test_colours_red_prediction_green_ground_truth():
    img = draw_annotations(np.zeros((120, 160, 3), np.uint8), [10, 60, 50, 40], [90, 60, 50, 40], 3)
    # BGR: the prediction's left edge (x = 10) is red, the ground truth's (x = 90) green
    assert tuple(img[80, 10]) == (0, 0, 255)
    assert tuple(img[80, 90]) == (0, 255, 0)
    assert img[:35, :60].max() == 255  # the frame number is written top-left


def test_failure_leaves_no_file_and_wrong_names_are_errors(tmp_path):
    path = tmp_path / "bad.mp4"
    with pytest.raises(ValueError, match="frame 2"):
        with AnnotatedVideoWriter(path) as w:
            w.write(np.zeros((64, 64, 3), np.uint8))
            w.write(np.zeros((32, 64, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match=".mp4"):
        AnnotatedVideoWriter(tmp_path / "x.avi")
