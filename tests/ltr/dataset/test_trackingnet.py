"""TrackingNet reader on an exact-format fixture: 0-based unpadded frame names, chunks, optional class map."""

from __future__ import annotations

import pytest

from ltr.dataset import TrackingNet


def _make_chunk(root, imgfx, chunk, seqs):
    for name, n in seqs.items():
        for i in range(n):
            imgfx.write(root / f"TRAIN_{chunk}" / "frames" / name / f"{i}.jpg", imgfx.colour(i))
        anno = root / f"TRAIN_{chunk}" / "anno" / f"{name}.txt"
        anno.parent.mkdir(parents=True, exist_ok=True)
        anno.write_text("\n".join(f"{i},{2 * i},{10 + i},{5 if i != 2 else 0}" for i in range(n)))


@pytest.fixture
def tn_root(tmp_path, imgfx):
    _make_chunk(tmp_path, imgfx, 0, {"aaa_1": 12, "bbb_2": 3})
    _make_chunk(tmp_path, imgfx, 1, {"ccc_3": 4})
    return tmp_path


def test_frames_are_zero_based_unpadded(tn_root, imgfx):
    ds = TrackingNet(tn_root)
    assert [ds.get_sequence_name(i) for i in range(3)] == ["TRAIN_0/aaa_1", "TRAIN_0/bbb_2", "TRAIN_1/ccc_3"]
    # frame id 10 must be '10.jpg' (a lexicographic listing would put it second)
    frames, anno, meta = ds.get_frames(0, [10, 0, 2])
    assert [imgfx.index(f) for f in frames] == [10, 0, 2]
    assert anno["bbox"][0].tolist() == [10.0, 20.0, 20.0, 5.0]
    assert anno["valid"][2].item() is False and anno["visible"][2].item() is False
    info = ds.get_sequence_info(0)
    assert info["bbox"].shape == (12, 4)
    assert info["visible"].tolist() == info["valid"].tolist() == [i != 2 for i in range(12)]
    assert not ds.has_class_info() and not ds.has_occlusion_info()
    assert meta["object_class_name"] is None


def test_set_ids_pick_chunks(tn_root):
    ds = TrackingNet(tn_root, set_ids=[1])
    assert ds.get_num_sequences() == 1 and ds.get_sequence_name(0) == "TRAIN_1/ccc_3"
    with pytest.raises(FileNotFoundError, match="TRAIN_5"):
        TrackingNet(tn_root, set_ids=[0, 5])


def test_class_map(tn_root, tmp_path_factory):
    cmap = tmp_path_factory.mktemp("cm") / "classes.txt"
    cmap.write_text("TRAIN_0/aaa_1\tcar\nbbb_2,person\nccc_3\tcar\n")
    ds = TrackingNet(tn_root, class_map=cmap)
    assert ds.has_class_info() and ds.get_class_list() == ["car", "person"]
    assert ds.get_sequences_in_class("car") == [0, 2]
    assert ds.get_object_meta(1)["object_class_name"] == "person"
    # The default location is picked up automatically.
    (tn_root / "trackingnet_classmap.txt").write_text(cmap.read_text())
    assert TrackingNet(tn_root).get_sequences_in_class("person") == [1]
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        TrackingNet(tn_root, class_map=tn_root / "nope.txt")


def test_missing_root_layout(tmp_path):
    with pytest.raises(FileNotFoundError, match="TRAIN_"):
        TrackingNet(tmp_path)
