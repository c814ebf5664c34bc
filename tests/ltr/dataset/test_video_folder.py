"""VideoFolder: natural frame order, any delimiter, img/ subfolders, NaN rows; checked on a fixture and real OTB."""

from __future__ import annotations

import math

import pytest

from ltr.dataset import VideoFolder


def test_mixed_delimiters_natural_order_and_nan(tmp_path, imgfx):
    seq = tmp_path / "walk"
    for i in range(12):  # frame1.png .. frame12.png: lexicographic order would put frame10 second
        imgfx.write(seq / f"frame{i + 1}.png", imgfx.colour(i))
    (seq / "groundtruth.txt").write_text(
        "1,2,3,4\n5\t6\t7\t8\n9 10 11 12\n13;14;15;16\nnan,nan,nan,nan\n1,2,-3,4\n" + "1, 1, 5, 5\n" * 6
    )
    other = tmp_path / "car" / "img"
    for i in range(3):
        imgfx.write(other / f"{i:04d}.jpg", imgfx.colour(i + 5))
    (tmp_path / "car" / "groundtruth.txt").write_text("0,0,4,4\n1,1,4,4\n2,2,4,4")
    (tmp_path / "notes").mkdir()  # no groundtruth: not a sequence

    ds = VideoFolder(tmp_path)
    assert [ds.get_sequence_name(i) for i in range(2)] == ["car", "walk"]
    info = ds.get_sequence_info(1)
    assert info["bbox"][:4].tolist() == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]
    assert all(math.isnan(v) for v in info["bbox"][4].tolist())
    assert info["valid"].tolist()[:7] == [True, True, True, True, False, False, True]
    assert info["visible"].tolist() == info["valid"].tolist()
    frames, _, meta = ds.get_frames(1, [9, 1, 11])
    assert [imgfx.index(f) for f in frames] == [9, 1, 11]
    frames, _, _ = ds.get_frames(0, [2])
    assert imgfx.index(frames[0]) == 7
    assert meta["object_class_name"] is None


def test_fewer_frames_than_boxes_is_an_error(tmp_path, imgfx):
    seq = tmp_path / "s"
    imgfx.write(seq / "1.jpg", (1, 2, 3))
    (seq / "groundtruth.txt").write_text("0,0,4,4\n0,0,4,4\n")
    with pytest.raises(ValueError, match="groundtruth.txt"):
        VideoFolder(tmp_path).get_sequence_info(0)
    with pytest.raises(FileNotFoundError, match="groundtruth.txt"):
        VideoFolder(tmp_path / "s")


def test_real_otb_layout(shared_data):
    # OTB sequences are folders with img/ and a differently named box file; Football1 has more images than boxes.
    ds = VideoFolder(shared_data / "otb", groundtruth_name="groundtruth_rect.txt")
    names = [ds.get_sequence_name(i) for i in range(ds.get_num_sequences())]
    assert names == ["Couple", "Crossing", "Football1"]
    counts = {n: ds.get_num_frames(i) for i, n in enumerate(names)}
    assert counts == {"Couple": 140, "Crossing": 120, "Football1": 74}
    first = (shared_data / "otb" / "Crossing" / "groundtruth_rect.txt").read_text().splitlines()[0]
    expected = [float(v) for v in first.replace(",", "\t").split()]
    assert ds.get_sequence_info(1)["bbox"][0].tolist() == expected
    frames, _, _ = ds.get_frames(2, [73])
    assert frames[0].shape == (288, 352, 3)
