"""GOT-10k reader on exact-format fixtures: plain and split-folder layouts, label files, missing optional files."""

from __future__ import annotations

import pytest
import torch

from ltr.dataset import Got10k

META = """[METAINFO]
url: https://youtu.be/abcdefghijk
begin: 00:00:01
end: 00:00:05
anno_fps: 10Hz
object_class: {cls}
motion_class: running
major_class: {major}
root_class: animal
motion_adverb: quickly
resolution: (1280, 720)
"""


def _make_seq(d, imgfx, boxes, absence=None, cover=None, cut=None, cls=None):
    for i in range(len(boxes)):
        imgfx.write(d / f"{i + 1:08d}.jpg", imgfx.colour(i))
    (d / "groundtruth.txt").write_text("\n".join(",".join(f"{v:.4f}" for v in b) for b in boxes) + "\n")
    for fname, values in (("absence.label", absence), ("cover.label", cover), ("cut_by_image.label", cut)):
        if values is not None:
            (d / fname).write_text("\n".join(str(v) for v in values) + "\n")
    if cls is not None:
        (d / "meta_info.ini").write_text(META.format(cls=cls, major="vertebrate"))


BOXES = [[1.5, 2.0, 10.0, 12.0], [2.0, 2.0, 10.0, 12.0], [3.0, 2.0, 10.0, 12.0], [4.0, 2.0, 10.0, 12.0]]


def _populate(base, imgfx, split_folders=False, with_list=True):
    names = [f"GOT-10k_Train_{i:06d}" for i in (1, 2, 3)]
    dirs = {}
    for k, n in enumerate(names):
        parent = base / f"GOT-10k_Train_split_{k // 2 + 1:02d}" if split_folders else base
        dirs[n] = parent / n
    _make_seq(dirs[names[0]], imgfx, BOXES, absence=[0, 1, 0, 0], cover=[8, 0, 4, 0], cut=[0, 0, 1, 0], cls="zebra")
    _make_seq(dirs[names[1]], imgfx, BOXES[:3], cls="horse")  # no label files at all
    _make_seq(dirs[names[2]], imgfx, BOXES, absence=[0, 0, 0, 0], cover=[1, 8, 8, 8], cls="zebra")
    if with_list:
        (base / "list.txt").write_text("\n".join(names) + "\n")
    return names


@pytest.mark.parametrize("layout", ["plain", "split_folders", "parent_of_train", "no_list"])
def test_layouts_find_the_same_sequences(tmp_path, imgfx, layout):
    base = tmp_path / "train" if layout == "parent_of_train" else tmp_path
    names = _populate(base, imgfx, split_folders=layout == "split_folders", with_list=layout != "no_list")
    ds = Got10k(tmp_path)
    assert [ds.get_sequence_name(i) for i in range(3)] == names
    frames, anno, meta = ds.get_frames(2, [3, 0])
    assert [imgfx.index(f) for f in frames] == [3, 0]
    assert anno["bbox"][1].tolist() == BOXES[0]


def test_labels_visibility_and_meta(tmp_path, imgfx):
    _populate(tmp_path, imgfx)
    ds = Got10k(tmp_path)
    info = ds.get_sequence_info(0)
    # visible = not absent and cover > 0 (and valid): frame 1 absent, frame 3 cover 0.
    assert info["visible"].tolist() == [True, False, True, False]
    torch.testing.assert_close(info["visible_ratio"], torch.tensor([1.0, 0.0, 0.5, 0.0]))
    assert info["cut_by_image"].tolist() == [False, False, True, False]
    # Missing optional label files: visibility from validity only, and no invented visible_ratio.
    info1 = ds.get_sequence_info(1)
    assert info1["visible"].tolist() == [True, True, True] and "visible_ratio" not in info1
    meta = ds.get_object_meta(0)
    assert meta == {
        "object_class_name": "zebra",
        "motion_class": "running",
        "major_class": "vertebrate",
        "root_class": "animal",
        "motion_adverb": "quickly",
    }
    assert ds.get_class_list() == ["horse", "zebra"]
    assert ds.get_sequences_in_class("zebra") == [0, 2]


def test_missing_meta_gives_none_fields(tmp_path, imgfx):
    _populate(tmp_path, imgfx)
    (tmp_path / "GOT-10k_Train_000002" / "meta_info.ini").unlink()
    ds = Got10k(tmp_path)
    assert ds.get_object_meta(1) == dict.fromkeys(
        ["object_class_name", "motion_class", "major_class", "root_class", "motion_adverb"]
    )


def test_custom_split_file_names_and_indices(tmp_path, imgfx):
    data = tmp_path / "data"
    names = _populate(data, imgfx)
    split = tmp_path / "my_split.txt"
    split.write_text(f"2\n{names[0]}\n")  # index 2 = third sequence of the sorted list
    ds = Got10k(data, split=split)
    assert [ds.get_sequence_name(i) for i in range(2)] == [names[2], names[0]]
    assert [Got10k(data, seq_ids=[1]).get_sequence_name(0)] == [names[1]]
    split.write_text("7\n")
    with pytest.raises(IndexError, match="index 7"):
        Got10k(data, split=split)
    split.write_text("GOT-10k_Train_999999\n")
    with pytest.raises(FileNotFoundError, match="GOT-10k_Train_999999"):
        Got10k(data, split=split)


def test_clear_errors(tmp_path, imgfx):
    with pytest.raises(FileNotFoundError, match="GOT-10k_Train_split_01"):
        Got10k(tmp_path)  # neither layout present
    names = _populate(tmp_path, imgfx)
    (tmp_path / "list.txt").write_text("\n".join(names + ["GOT-10k_Train_000004"]))
    with pytest.raises(FileNotFoundError, match="GOT-10k_Train_000004"):
        Got10k(tmp_path)
    (tmp_path / "list.txt").write_text("\n".join(names))
    (tmp_path / names[0] / "cover.label").write_text("8\n8\n")
    with pytest.raises(ValueError, match="cover.label"):
        Got10k(tmp_path).get_sequence_info(0)
