"""MSCOCOSeq on the real COCO 2017 subset (counts rechecked from the JSON) and on a trimmed-JSON fixture."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch

from ltr.dataset import BaseImageDataset, MSCOCOSeq


def _recount(json_path, min_area=16.0):
    data = json.loads(json_path.read_text())
    keep = [
        a
        for a in data["annotations"]
        if not a["iscrowd"] and a["bbox"][2] >= 1 and a["bbox"][3] >= 1 and a["bbox"][2] * a["bbox"][3] >= min_area
    ]
    return data, {a["id"]: a for a in keep}


@pytest.mark.parametrize("split", ["train", "val"])
def test_real_subset_matches_json(shared_data, split):
    root = shared_data / "coco"
    data, kept = _recount(root / "annotations" / f"instances_{split}2017.json")
    ds = MSCOCOSeq(root, split=split)
    assert isinstance(ds, BaseImageDataset) and not ds.is_video_sequence()
    assert ds.get_num_sequences() == len(kept) > 600
    assert ds.get_num_classes() == 80
    cats = {c["id"]: c for c in data["categories"]}
    images = {i["id"]: i for i in data["images"]}
    for seq_id in range(0, ds.get_num_sequences(), 37):
        ann = kept[ds.get_annotation_id(seq_id)]
        info = ds.get_sequence_info(seq_id)
        np.testing.assert_allclose(info["bbox"][0].numpy(), np.float32(ann["bbox"]))
        assert info["valid"].tolist() == [True] and info["visible"].tolist() == [True]
        meta = ds.get_object_meta(seq_id)
        assert meta["object_class_name"] == cats[ann["category_id"]]["name"]
        assert meta["major_class"] == cats[ann["category_id"]]["supercategory"]
    # Frames: the right image, repeated for every requested id.
    seq_id = 5
    ann = kept[ds.get_annotation_id(seq_id)]
    img_meta = images[ann["image_id"]]
    frames, anno, _ = ds.get_frames(seq_id, [0, 0])
    assert frames[0].shape == (img_meta["height"], img_meta["width"], 3)
    np.testing.assert_array_equal(frames[0], frames[1])
    ref = cv2.cvtColor(cv2.imread(str(root / f"{split}2017" / img_meta["file_name"])), cv2.COLOR_BGR2RGB)
    assert np.abs(frames[0].astype(int) - ref).mean() < 1.0
    assert len(anno["bbox"]) == 2
    with pytest.raises(IndexError):
        ds.get_frames(seq_id, [1])
    # Class lookup agrees with a recount.
    person = sum(1 for a in kept.values() if cats[a["category_id"]]["name"] == "person")
    assert len(ds.get_sequences_in_class("person")) == person


def _make_coco(root, imgfx, images_subdir=True):
    img_dir = root / "images" / "train2017" if images_subdir else root / "train2017"
    imgfx.write(img_dir / "000000000001.jpg", (200, 10, 10), size=(30, 40))
    imgfx.write(img_dir / "000000000002.jpg", (10, 200, 10), size=(20, 50))
    data = {  # trimmed like the shared subset: no 'info', no 'licenses'
        "images": [
            {"id": 1, "file_name": "000000000001.jpg", "height": 30, "width": 40},
            {"id": 2, "file_name": "000000000002.jpg", "height": 20, "width": 50},
        ],
        "categories": [{"id": 3, "name": "car", "supercategory": "vehicle"}, {"id": 1, "name": "person"}],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 1, "bbox": [1, 2, 10, 8], "iscrowd": 0, "area": 70},
            {"id": 11, "image_id": 1, "category_id": 3, "bbox": [5, 5, 3, 3], "iscrowd": 0, "area": 9},  # tiny
            {"id": 12, "image_id": 2, "category_id": 3, "bbox": [0, 0, 20, 10], "iscrowd": 1, "area": 200},  # crowd
            {"id": 9, "image_id": 2, "category_id": 3, "bbox": [4, 3, 12.5, 6.5], "iscrowd": 0, "area": 60},
            {"id": 13, "image_id": 2, "category_id": 1, "bbox": [4, 3, 40, 0], "iscrowd": 0, "area": 0},  # zero h
        ],
    }
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "instances_train2017.json").write_text(json.dumps(data))


@pytest.mark.parametrize("images_subdir", [True, False])
def test_fixture_filters_and_layouts(tmp_path, imgfx, images_subdir):
    _make_coco(tmp_path, imgfx, images_subdir)
    ds = MSCOCOSeq(tmp_path)
    assert [ds.get_annotation_id(i) for i in range(ds.get_num_sequences())] == [9, 10]
    torch.testing.assert_close(ds.get_sequence_info(0)["bbox"], torch.tensor([[4.0, 3.0, 12.5, 6.5]]))
    assert ds.get_class_list() == ["person", "car"]  # category id order
    assert ds.get_object_meta(0)["object_class_name"] == "car"
    assert ds.get_object_meta(1)["major_class"] is None
    frames, _, _ = ds.get_frames(0, [0, 0, 0])
    assert len(frames) == 3 and frames[0].shape == (20, 50, 3) and frames[0][..., 1].min() > 190
    image, anno, _ = ds.get_image(1)
    assert image.shape == (30, 40, 3) and anno["bbox"].tolist() == [1.0, 2.0, 10.0, 8.0]
    assert MSCOCOSeq(tmp_path, min_area=1.0).get_num_sequences() == 3


def test_fixture_errors(tmp_path, imgfx):
    with pytest.raises(FileNotFoundError, match="instances_train2017.json"):
        MSCOCOSeq(tmp_path)
    _make_coco(tmp_path, imgfx)
    with pytest.raises(FileNotFoundError, match="val2017"):
        MSCOCOSeq(tmp_path, split="val")
    (tmp_path / "annotations" / "instances_val2017.json").write_text("{not json")
    (tmp_path / "val2017").mkdir()
    with pytest.raises(ValueError, match="instances_val2017.json"):
        MSCOCOSeq(tmp_path, split="val")
    with pytest.raises(ValueError, match="split"):
        MSCOCOSeq(tmp_path, split="test")
