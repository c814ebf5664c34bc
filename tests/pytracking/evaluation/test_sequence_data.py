"""Sequence containers, annotation parsing and polygon conversion (values checked by hand)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pytracking.evaluation.data import (
    Sequence,
    SequenceList,
    UnknownSequenceError,
    polygon_to_box,
    read_annotation,
    select,
)


def test_read_annotation_mixed_delimiters_nan_and_no_trailing_newline(tmp_path):
    path = tmp_path / "gt.txt"
    path.write_text("1,2,3,4\n5\t6\t7\t8\n\n9 10,11\t12\nNaN,NaN,NaN,NaN")  # no final newline
    arr = read_annotation(path)
    assert arr.shape == (4, 4)
    assert arr[:3].tolist() == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    assert np.isnan(arr[3]).all()


def test_read_annotation_names_file_and_line_on_error(tmp_path):
    path = tmp_path / "gt.txt"
    path.write_text("1,2,3,4\n1,2,3\n")
    with pytest.raises(ValueError, match=r"gt.txt:2"):
        read_annotation(path)
    path.write_text("1,2,x,4\n")
    with pytest.raises(ValueError, match=r"gt.txt:1"):
        read_annotation(path)


def test_polygon_to_box_by_hand():
    poly = np.array([[0.0, 1.0, 4.0, -2.0, 6.0, 3.0, 2.0, 5.0], [1, 1, 3, 1, 3, 2, 1, 2]], dtype=float)
    # row 0: xs 0,4,6,2 -> x=0, w=6; ys 1,-2,3,5 -> y=-2, h=7. row 1: axis-aligned 2x1 rectangle.
    assert polygon_to_box(poly).tolist() == [[0, -2, 6, 7], [1, 1, 2, 1]]
    boxes = np.array([[1.0, 2.0, 3.0, 4.0]])
    assert polygon_to_box(boxes).tolist() == boxes.tolist()
    with pytest.raises(ValueError):
        polygon_to_box(np.zeros((1, 5)))


def _seq(name, n=3):
    return Sequence(name, [f"{name}/{i}.jpg" for i in range(n)], "test", np.tile([1.0, 2.0, 3.0, 4.0], (n, 1)))


def test_sequence_list_lookup_by_name_index_slice_and_list():
    seqs = SequenceList([_seq("a"), _seq("b"), _seq("c")])
    assert seqs["b"].name == "b"
    assert seqs[2].name == "c"
    assert isinstance(seqs[0:2], SequenceList) and seqs[0:2].names() == ["a", "b"]
    assert seqs[["c", "a"]].names() == ["c", "a"]
    with pytest.raises(UnknownSequenceError, match="'zz'"):
        seqs["zz"]


def test_select_by_name_and_index_reports_all_unknown():
    items = ["a", "b", "c"]
    assert select(items, ["c", 0, "1"], "ds") == ["c", "a", "b"]
    with pytest.raises(UnknownSequenceError) as err:
        select(items, ["x", 7, "y"], "ds")
    assert "x" in str(err.value) and "#7" in str(err.value) and "y" in str(err.value)


def test_init_info_uses_first_box_or_init_data_and_rejects_invalid():
    seq = _seq("a")
    assert seq.init_info() == {"init_bbox": [1.0, 2.0, 3.0, 4.0]}
    seq2 = Sequence("b", ["x"], "t", None, init_data={"init_bbox": (5, 6, 7, 8)})
    assert seq2.init_info() == {"init_bbox": [5.0, 6.0, 7.0, 8.0]}
    seq3 = Sequence("c", ["x"], "t", np.array([[math.nan, 1, 2, 3]]))
    with pytest.raises(ValueError, match="'c'"):
        seq3.init_info()


def test_dataset_root_that_does_not_exist_is_named(tmp_path):
    from pytracking.evaluation.datasets import get_dataset

    with pytest.raises(FileNotFoundError, match="PYTRACKING_OTB_PATH"):
        get_dataset("otb", root=tmp_path / "nowhere")
