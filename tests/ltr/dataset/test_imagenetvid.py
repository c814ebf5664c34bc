"""ImagenetVID on an exact-format fixture (ILSVRC Data/Annotations trees, XML per frame) and its JSON cache."""

from __future__ import annotations

import json
import warnings

import pytest

from ltr.dataset import ImagenetVID
from ltr.dataset import imagenetvid as vid_module

OBJ = """  <object>
    <trackid>{tid}</trackid>
    <name>{synset}</name>
    <bndbox><xmax>{x2}</xmax><xmin>{x1}</xmin><ymax>{y2}</ymax><ymin>{y1}</ymin></bndbox>
    <occluded>{occ}</occluded>
    <generated>0</generated>
  </object>
"""


def _xml(folder, fname, objects):
    body = "".join(OBJ.format(**o) for o in objects)
    return (
        f"<annotation>\n  <folder>{folder}</folder>\n  <filename>{fname}</filename>\n  <source><database>ILSVRC_2015"
        f"</database></source>\n  <size><width>32</width><height>24</height></size>\n{body}</annotation>\n"
    )


def _make_video(root, imgfx, rel, per_frame, split="train"):
    for f, objects in enumerate(per_frame):
        imgfx.write(root / "Data" / "VID" / split / rel / f"{f:06d}.JPEG", imgfx.colour(f))
        xml = root / "Annotations" / "VID" / split / rel / f"{f:06d}.xml"
        xml.parent.mkdir(parents=True, exist_ok=True)
        xml.write_text(_xml(rel, f"{f:06d}", objects))


def _obj(tid, x1, synset="n02391049", occ=0):
    return {"tid": tid, "synset": synset, "x1": x1, "y1": 2, "x2": x1 + 10, "y2": 14, "occ": occ}


@pytest.fixture
def vid_root(tmp_path, imgfx):
    # Video A: track 0 (zebra) in frames 0-4, occluded in frame 3; track 1 (car) in frames 1 and 3, absent in 2.
    frames_a = [
        [_obj(0, 0)],
        [_obj(0, 1), _obj(1, 5, "n02958343")],
        [_obj(0, 2)],
        [_obj(0, 3, occ=1), _obj(1, 7, "n02958343")],
        [_obj(0, 4)],
    ]
    _make_video(tmp_path, imgfx, "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000", frames_a)
    # Video B in another chunk: one track starting at frame 2 (frames 0-1 have no objects).
    frames_b = [[], [], [_obj(3, 1, "n01503061")], [_obj(3, 2, "n01503061")]]
    _make_video(tmp_path, imgfx, "ILSVRC2015_VID_train_0001/ILSVRC2015_train_00100000", frames_b)
    return tmp_path


def test_tracks_become_sequences(vid_root, imgfx):
    ds = ImagenetVID(vid_root)
    assert ds.get_num_sequences() == 3
    names = [ds.get_sequence_name(i) for i in range(3)]
    assert names[0].endswith("00000000/track_0") and names[1].endswith("00000000/track_1")
    assert names[2].endswith("00100000/track_3")
    info0 = ds.get_sequence_info(0)
    assert info0["bbox"][:, 0].tolist() == [0, 1, 2, 3, 4] and info0["bbox"][0].tolist() == [0, 2, 10, 12]
    assert info0["visible"].tolist() == [True, True, True, False, True]  # occluded frame 3
    info1 = ds.get_sequence_info(1)  # spans frames 1..3, missing in frame 2
    assert info1["bbox"].shape == (3, 4)
    assert info1["valid"].tolist() == [True, False, True] and info1["visible"].tolist() == [True, False, True]
    frames, anno, meta = ds.get_frames(1, [2, 0])
    assert [imgfx.index(f) for f in frames] == [3, 1]  # sequence frame k = video frame start + k
    assert meta["object_class_name"] == "car"
    frames, _, meta = ds.get_frames(2, [0])
    assert imgfx.index(frames[0]) == 2 and meta["object_class_name"] == "bird"
    assert ds.get_class_list() == ["bird", "car", "zebra"]
    assert ds.get_sequences_in_class("zebra") == [0]
    assert ImagenetVID(vid_root, min_length=4, cache_file=False).get_num_sequences() == 1


def test_cache_written_atomically_and_reused(vid_root, monkeypatch):
    ds = ImagenetVID(vid_root)
    cache = vid_root / "ltr_imagenetvid_train_cache.json"
    assert cache.is_file()
    assert not [p for p in vid_root.iterdir() if p.name.endswith(".tmp")]
    content = json.loads(cache.read_text())
    assert content["version"] == vid_module.CACHE_VERSION and len(content["tracks"]) == 3

    def fail(*args, **kwargs):
        raise AssertionError("XML parsed although a cache exists")

    monkeypatch.setattr(vid_module, "parse_vid_video", fail)
    again = ImagenetVID(vid_root)
    for i in range(3):
        assert again.get_sequence_name(i) == ds.get_sequence_name(i)
        for key in ("bbox", "valid", "visible"):
            assert again.get_sequence_info(i)[key].tolist() == ds.get_sequence_info(i)[key].tolist()


def test_unwritable_cache_warns_and_still_works(vid_root):
    blocker = vid_root / "a_file"
    blocker.write_text("x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = ImagenetVID(vid_root, cache_file=blocker / "cache.json")
    assert ds.get_num_sequences() == 3
    assert any("cache" in str(w.message) for w in caught)


def test_stale_cache_is_rebuilt(vid_root):
    cache = vid_root / "ltr_imagenetvid_train_cache.json"
    cache.write_text(json.dumps({"version": -1, "tracks": []}))
    with pytest.warns(UserWarning, match="old format"):
        ds = ImagenetVID(vid_root)
    assert ds.get_num_sequences() == 3
    assert json.loads(cache.read_text())["version"] == vid_module.CACHE_VERSION


def test_bad_layout_and_xml(tmp_path, vid_root):
    with pytest.raises(FileNotFoundError, match="Data/VID"):
        ImagenetVID(tmp_path / "nowhere")
    bad = vid_root / "Annotations" / "VID" / "train" / "ILSVRC2015_VID_train_0000" / "ILSVRC2015_train_00000000"
    (bad / "000002.xml").write_text("<annotation><object>")
    with pytest.raises(ValueError, match="000002.xml"):
        ImagenetVID(vid_root, cache_file=False)
