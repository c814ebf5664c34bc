"""LaSOT reader on the real motorcycle-9 excerpt and on an exact-format fixture with occlusion flags."""

from __future__ import annotations

import csv

import cv2
import numpy as np
import pytest
import torch

from ltr.dataset import Lasot
from ltr.dataset.base_video_dataset import OBJECT_META_KEYS


def test_real_motorcycle9(shared_data):
    root = shared_data / "lasot"
    seq_dir = root / "motorcycle" / "motorcycle-9"
    ds = Lasot(root)
    assert ds.get_name() == "lasot" and ds.get_num_sequences() == 1
    assert ds.get_sequence_name(0) == "motorcycle-9"
    assert ds.get_class_list() == ["motorcycle"] and ds.get_sequences_in_class("motorcycle") == [0]
    with open(seq_dir / "groundtruth.txt", newline="") as fh:
        expected = np.array([[float(v) for v in row] for row in csv.reader(fh) if row], dtype=np.float32)
    info = ds.get_sequence_info(0)
    assert info["bbox"].shape == (50, 4)
    np.testing.assert_array_equal(info["bbox"].numpy(), expected)
    assert info["visible"].all() and info["valid"].all()  # README: flags are all 0 for these 50 frames
    frames, anno, meta = ds.get_frames(0, [0, 49, 0])
    assert [f.shape for f in frames] == [(720, 1280, 3)] * 3
    reference = cv2.cvtColor(cv2.imread(str(seq_dir / "img" / "00000050.jpg")), cv2.COLOR_BGR2RGB)
    assert np.abs(frames[1].astype(int) - reference).mean() < 1.0
    assert not np.array_equal(frames[0], frames[1])
    torch.testing.assert_close(anno["bbox"][1], torch.from_numpy(expected[49]))
    assert set(meta) >= set(OBJECT_META_KEYS) and meta["object_class_name"] == "motorcycle"
    assert meta["motion_class"] is None
    assert ds.get_sequence_description(0) == (seq_dir / "nlp.txt").read_text().strip()


def _make_lasot(root, imgfx, spec):
    """spec: {name: (boxes, occlusion flags, out-of-view flags)}; writes frames and annotation files."""
    for name, (boxes, occ, oov) in spec.items():
        d = root / name.rsplit("-", 1)[0] / name
        for i in range(len(boxes)):
            imgfx.write(d / "img" / f"{i + 1:08d}.jpg", imgfx.colour(i))
        (d / "groundtruth.txt").write_text("\n".join(",".join(str(v) for v in b) for b in boxes))  # no final \n
        if occ is not None:
            (d / "full_occlusion.txt").write_text(",".join(str(v) for v in occ))
        if oov is not None:
            (d / "out_of_view.txt").write_text(",".join(str(v) for v in oov) + "\n")
        (d / "nlp.txt").write_text(f"the {name}\n")


@pytest.fixture
def lasot_root(tmp_path, imgfx):
    boxes = [[1, 2, 10, 12], [2, 2, 10, 12], [3, 2, 10, 12], [4, 2, 0, 12], [5, 2, 10, 12]]
    spec = {
        "cat-1": (boxes, [0, 1, 0, 0, 0], [0, 0, 1, 0, 0]),
        "cat-10": (boxes[:3], [0, 0, 0], [0, 0, 0]),
        "cat-2": (boxes[:4], None, None),
        "dog-3": (boxes[:2], [0, 0], [1, 0]),
    }
    _make_lasot(tmp_path, imgfx, spec)
    (tmp_path / "README.txt").write_text("not a class folder")
    return tmp_path


def test_fixture_visibility_order_and_frames(lasot_root, imgfx):
    ds = Lasot(lasot_root)
    assert [ds.get_sequence_name(i) for i in range(4)] == ["cat-1", "cat-2", "cat-10", "dog-3"]
    assert ds.has_occlusion_info() and ds.get_num_classes() == 2
    info = ds.get_sequence_info(0)
    # frame 1 occluded, frame 2 out of view, frame 3 zero width (invalid): visible only 0 and 4.
    assert info["visible"].tolist() == [True, False, False, False, True]
    assert info["valid"].tolist() == [True, True, True, False, True]
    # No flag files: visibility follows validity.
    assert ds.get_sequence_info(1)["visible"].tolist() == [True, True, True, False]
    assert ds.get_sequence_info(3)["visible"].tolist() == [False, True]
    frames, anno, _ = ds.get_frames(0, [4, 2])
    assert [imgfx.index(f) for f in frames] == [4, 2]
    assert anno["visible"][0].item() is True and anno["visible"][1].item() is False
    assert ds.get_sequences_in_class("cat") == [0, 1, 2]


def test_split_file_and_vid_ids(lasot_root, tmp_path_factory):
    split = tmp_path_factory.mktemp("splits") / "my_split.txt"
    split.write_text("dog-3\ncat-10\n\n")
    ds = Lasot(lasot_root, split=split)
    assert [ds.get_sequence_name(i) for i in range(2)] == ["dog-3", "cat-10"]
    ds = Lasot(lasot_root, vid_ids=[1, 3])
    assert [ds.get_sequence_name(i) for i in range(2)] == ["cat-1", "dog-3"]
    # Official protocol: cat-1 is a test sequence (cat test ids 1, 3, 18, 20; dog 1, 7, 15, 19), the rest train.
    train = Lasot(lasot_root, split="train")
    assert [train.get_sequence_name(i) for i in range(train.get_num_sequences())] == ["cat-2", "cat-10", "dog-3"]
    test = Lasot(lasot_root, split="test")
    assert [test.get_sequence_name(i) for i in range(test.get_num_sequences())] == ["cat-1"]
    bad = split.parent / "bad.txt"
    bad.write_text("cat-1\nbird-7\n")
    with pytest.raises(FileNotFoundError, match="bird-7"):
        Lasot(lasot_root, split=bad)


def test_data_fraction_is_deterministic_subset(lasot_root):
    a = Lasot(lasot_root, data_fraction=0.5, seed=1)
    b = Lasot(lasot_root, data_fraction=0.5, seed=1)
    full = Lasot(lasot_root)
    names = [a.get_sequence_name(i) for i in range(a.get_num_sequences())]
    assert a.get_num_sequences() == 2
    assert names == [b.get_sequence_name(i) for i in range(2)]
    all_names = [full.get_sequence_name(i) for i in range(4)]
    assert names == [n for n in all_names if n in names]  # a subset in the original order
    with pytest.raises(ValueError, match="data_fraction"):
        Lasot(lasot_root, data_fraction=0.0)


def test_errors_name_the_problem(lasot_root):
    with pytest.raises(FileNotFoundError, match="no LaSOT sequences"):
        Lasot(lasot_root / "cat")  # one level too deep: no <class>/<class>-<id> below it
    seq = lasot_root / "cat" / "cat-1"
    (seq / "full_occlusion.txt").write_text("0,1,0")
    ds = Lasot(lasot_root)
    with pytest.raises(ValueError, match="full_occlusion.txt"):
        ds.get_sequence_info(0)
    (seq / "full_occlusion.txt").write_text("0,0,0,0,0")
    ds = Lasot(lasot_root)
    (seq / "img" / "00000003.jpg").unlink()
    with pytest.raises(OSError, match="00000003.jpg"):
        ds.get_frames(0, [2])
    with pytest.raises(IndexError, match="frame id 5"):
        ds.get_frames(1, [5])
