"""Result file format and crash safety."""

from __future__ import annotations

import os

import numpy as np
import pytest

from pytracking.evaluation import results_io
from pytracking.evaluation.results_io import (
    box_file,
    read_boxes,
    read_times,
    result_exists,
    results_dir_for,
    save_sequence_result,
    time_file,
)


def test_results_dir_layout(tmp_path):
    assert results_dir_for(tmp_path, "atom", "default") == tmp_path / "atom" / "default"
    assert results_dir_for(tmp_path, "atom", "default", 7) == tmp_path / "atom" / "default_007"


def test_integer_and_float_formats(tmp_path):
    boxes = np.array([[10.4, 20.6, 30.5, 40.0], [-1.6, 0.2, 5.49999, 7.51]])
    save_sequence_result(tmp_path, "s", boxes, [0.5, 0.25])
    # nearest integer (numpy rint: halves to even -> 30.5 -> 30)
    assert box_file(tmp_path, "s").read_text() == "10\t21\t30\t40\n-2\t0\t5\t8\n"
    assert time_file(tmp_path, "s").read_text() == "0.500000\n0.250000\n"
    save_sequence_result(tmp_path, "f", boxes, [0.5, 0.25], save_float=True)
    text = box_file(tmp_path, "f").read_text()
    assert text.splitlines()[0] == "10.4\t20.6\t30.5\t40.0"
    np.testing.assert_array_equal(read_boxes(box_file(tmp_path, "f")), boxes)  # lossless round trip
    np.testing.assert_array_equal(read_times(time_file(tmp_path, "f")), [0.5, 0.25])


def test_non_finite_box_is_rejected_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match="frame 1"):
        save_sequence_result(tmp_path, "s", [[1, 2, 3, 4], [np.nan, 2, 3, 4]], [0.1, 0.1])
    assert list(tmp_path.iterdir()) == []


def test_crash_while_writing_box_file_leaves_no_result(tmp_path, monkeypatch):
    """Simulate the process dying inside the box-file write (after the time file is complete)."""
    import ltr.admin.atomic_io as atomic_io

    real_fsync = os.fsync
    calls = {"n": 0}

    def dying_fsync(fd):
        calls["n"] += 1
        if calls["n"] == 2:  # 1st fsync: time file; 2nd: box file
            raise KeyboardInterrupt("simulated kill during write")
        real_fsync(fd)

    monkeypatch.setattr(atomic_io.os, "fsync", dying_fsync)
    with pytest.raises(KeyboardInterrupt):
        save_sequence_result(tmp_path, "seq", [[1, 2, 3, 4]], [0.1])
    assert not result_exists(tmp_path, "seq")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq_time.txt"]  # no temp file, no box file


def test_crash_keeps_previous_complete_result(tmp_path, monkeypatch):
    save_sequence_result(tmp_path, "seq", [[1, 2, 3, 4]], [0.1])
    monkeypatch.setattr(results_io, "atomic_write_text", _fail_after_partial_write)
    with pytest.raises(OSError):
        save_sequence_result(tmp_path, "seq", [[9, 9, 9, 9]], [0.2])
    assert box_file(tmp_path, "seq").read_text() == "1\t2\t3\t4\n"


def _fail_after_partial_write(path, text):
    from ltr.admin.atomic_io import atomic_write

    def write(fh):
        fh.write(text[:3].encode())
        raise OSError("disk full")

    return atomic_write(path, write)


def test_time_count_must_match_boxes(tmp_path):
    with pytest.raises(ValueError, match="2 frame times for 1 boxes"):
        save_sequence_result(tmp_path, "s", [[1, 2, 3, 4]], [0.1, 0.2])
