"""Shared dataset helpers (subsets, table parsing, info dicts, frame slicing) and the lazy package exports."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

import ltr.dataset
from ltr.dataset.base_video_dataset import (
    BaseVideoDataset,
    make_object_meta,
    natural_key,
    read_text_table,
    select_fraction,
    sequence_info_from_boxes,
)


def test_select_fraction_deterministic_ordered_subset():
    items = list(range(100))
    a = select_fraction(items, 0.25, seed=3)
    assert a == select_fraction(items, 0.25, seed=3)
    assert len(a) == 25 and a == sorted(a) and len(set(a)) == 25
    assert a != select_fraction(items, 0.25, seed=4)
    assert select_fraction(items, None) == items and select_fraction(items, 1.0) == items
    assert len(select_fraction(items, 0.001)) == 1
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="data_fraction"):
            select_fraction(items, bad)


def test_read_text_table_mixed_delimiters(tmp_path):
    p = tmp_path / "gt.txt"
    p.write_text("1,2,3,4\n\n5\t6\t7\t8\n9 ,10, 11\t12\nNaN,nan,nan,nan")
    t = read_text_table(p, num_cols=4)
    assert t.shape == (4, 4) and t[:3].tolist() == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    assert np.isnan(t[3]).all()
    p.write_text("1,2,3,4\n1,2,x,4\n")
    with pytest.raises(ValueError, match=r"gt.txt:2"):
        read_text_table(p, num_cols=4)
    p.write_text("1,2,3,4\n1,2,3\n")
    with pytest.raises(ValueError, match="expected 4 values"):
        read_text_table(p, num_cols=4)


def test_sequence_info_from_boxes():
    boxes = [[0, 0, 5, 5], [0, 0, 0, 5], [0, 0, 5, -1], [math.nan, 0, 5, 5], [1, 1, 2, 2]]
    info = sequence_info_from_boxes(boxes, visible=[True, True, True, True, False])
    assert info["bbox"].dtype == torch.float32
    assert info["valid"].tolist() == [True, False, False, False, True]
    assert info["visible"].tolist() == [True, False, False, False, False]
    with pytest.raises(ValueError, match="visible"):
        sequence_info_from_boxes(boxes, visible=[True])


def test_natural_key_and_meta():
    assert sorted(["s10", "s2", "S1"], key=natural_key) == ["S1", "s2", "s10"]
    meta = make_object_meta(object_class_name="cat", extra=1)
    assert meta == {
        "object_class_name": "cat",
        "motion_class": None,
        "major_class": None,
        "root_class": None,
        "motion_adverb": None,
        "extra": 1,
    }


class _Toy(BaseVideoDataset):
    """Frames are generated; counts how often annotations are read."""

    def __init__(self):
        super().__init__("toy", None)
        self.sequence_list = ["a", "b"]
        self.reads = 0

    def _read_sequence_info(self, seq_id):
        self.reads += 1
        return sequence_info_from_boxes(np.arange(12, dtype=np.float32).reshape(3, 4) + 1 + seq_id)

    def _load_frame(self, seq_id, frame_id):
        return np.full((2, 2, 3), 10 * seq_id + frame_id, dtype=np.uint8)


def test_base_get_frames_slices_and_caches():
    ds = _Toy()
    info = ds.get_sequence_info(1)
    info["bbox"][0, 0] = -99  # callers get copies: the cache must not change
    assert ds.get_sequence_info(1)["bbox"][0, 0].item() == 2.0 and ds.reads == 1
    frames, anno, meta = ds.get_frames(1, [2, 0, 2])
    assert [int(f[0, 0, 0]) for f in frames] == [12, 10, 12]
    frames[0][0, 0, 0] = 0
    assert int(frames[2][0, 0, 0]) == 12  # repeated ids are independent copies
    assert [b.tolist() for b in anno["bbox"]] == [[10.0, 11.0, 12.0, 13.0], [2.0, 3.0, 4.0, 5.0]] + [
        [10.0, 11.0, 12.0, 13.0]
    ]
    assert meta == make_object_meta()
    assert not ds.has_class_info()
    with pytest.raises(NotImplementedError):
        ds.get_sequences_in_class("x")
    with pytest.raises(IndexError, match="sequence id 2"):
        ds.get_frames(2, [0])
    with pytest.raises(IndexError, match="frame id -1"):
        ds.get_frames(0, [-1])


def test_package_exports_are_lazy():
    code = (
        "import sys, ltr.dataset as d\n"
        "heavy = [m for m in ('pycocotools', 'lmdb', 'ltr.dataset.coco_seq', 'ltr.dataset.imagenetvid') "
        "if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "d.SyntheticVideo\n"
        "assert 'ltr.dataset.synthetic' in sys.modules and 'ltr.dataset.coco_seq' not in sys.modules\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
    for name in ltr.dataset.__all__:
        assert getattr(ltr.dataset, name).__name__ == name
    with pytest.raises(AttributeError, match="NoSuchReader"):
        ltr.dataset.NoSuchReader  # noqa: B018
