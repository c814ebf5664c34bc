"""MS-COCO instances as one-frame sequences (``MSCOCOSeq``).

Layout: ``root/annotations/instances_<split><version>.json`` with images in ``root/<split><version>/`` or
``root/images/<split><version>/``. Every non-crowd instance whose box is at least ``min_side`` pixels on each side and
``min_area`` pixels in area is one "sequence"; tiny boxes are useless as tracking targets and degenerate ones crash
cropping. ``get_frames`` repeats the image for each requested frame id (all ids must be 0).

The annotation JSON is parsed with the standard ``json`` module, not pycocotools: only boxes, categories and file
names are needed, the full release and trimmed JSONs without ``info``/``licenses`` keys read the same way, and the
parsed data is kept in compact arrays instead of per-annotation dicts (the 2017 train JSON holds 860k instances).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ltr.dataset.base_image_dataset import BaseImageDataset
from ltr.dataset.base_video_dataset import ImageLoader, PathLike, make_object_meta, select_fraction

__all__ = ["MSCOCOSeq"]


class MSCOCOSeq(BaseImageDataset):
    """COCO object instances as one-frame tracking sequences.

    Args:
        root: COCO root (holding ``annotations/``).
        image_loader: image decoder.
        data_fraction: keep a deterministic fraction of the instances.
        split: ``'train'`` or ``'val'``.
        version: release year string, e.g. ``'2017'`` or ``'2014'``.
        min_area: minimum box area ``w*h`` in pixels for an instance to be kept.
        min_side: minimum box width and height in pixels.
        seed: seed of the ``data_fraction`` selection.
    """

    def __init__(
        self,
        root: PathLike,
        image_loader: ImageLoader | None = None,
        data_fraction: float | None = None,
        split: str = "train",
        version: str = "2017",
        min_area: float = 16.0,
        min_side: float = 1.0,
        seed: int = 0,
    ) -> None:
        super().__init__("coco", root, image_loader)
        if split not in ("train", "val"):
            raise ValueError(f"COCO split must be 'train' or 'val', got {split!r}")
        self.split, self.version = split, str(version)
        anno_file = self.root / "annotations" / f"instances_{split}{self.version}.json"
        if not anno_file.is_file():
            raise FileNotFoundError(f"COCO annotation file '{anno_file}' not found (root should hold annotations/)")
        candidates = [self.root / f"{split}{self.version}", self.root / "images" / f"{split}{self.version}"]
        image_dir = next((d for d in candidates if d.is_dir()), None)
        if image_dir is None:
            raise FileNotFoundError(f"COCO image folder not found; looked for {[str(c) for c in candidates]}")
        self.image_dir = image_dir
        self._load_annotations(anno_file, float(min_area), float(min_side))
        self.sequence_list = select_fraction(list(range(len(self._ann_ids))), data_fraction, seed)

    def _load_annotations(self, anno_file: Path, min_area: float, min_side: float) -> None:
        try:
            with open(anno_file, encoding="utf-8") as fh:
                data = json.load(fh)
        except json.JSONDecodeError as err:
            raise ValueError(f"COCO annotation file '{anno_file}' is not valid JSON: {err}") from err
        for key in ("images", "annotations", "categories"):
            if key not in data:
                raise ValueError(f"COCO annotation file '{anno_file}' has no {key!r} list")
        cats = sorted(data["categories"], key=lambda c: c["id"])
        cat_index = {c["id"]: i for i, c in enumerate(cats)}
        self._cat_names = [c["name"] for c in cats]
        self._cat_super = [c.get("supercategory") for c in cats]
        image_index = {}
        self._file_names: list[str] = []
        for img in data["images"]:
            image_index[img["id"]] = len(self._file_names)
            self._file_names.append(img["file_name"])
        ann_ids, image_of, cat_of, boxes = [], [], [], []
        for ann in sorted(data["annotations"], key=lambda a: a["id"]):
            if ann.get("iscrowd", 0):
                continue
            x, y, w, h = (float(v) for v in ann["bbox"])
            if w < min_side or h < min_side or w * h < min_area:
                continue
            if ann["image_id"] not in image_index:
                raise ValueError(f"{anno_file}: annotation {ann['id']} refers to unknown image {ann['image_id']}")
            if ann["category_id"] not in cat_index:
                raise ValueError(f"{anno_file}: annotation {ann['id']} has unknown category {ann['category_id']}")
            ann_ids.append(ann["id"])
            image_of.append(image_index[ann["image_id"]])
            cat_of.append(cat_index[ann["category_id"]])
            boxes.append((x, y, w, h))
        self._ann_ids = np.asarray(ann_ids, dtype=np.int64)
        self._image_of = np.asarray(image_of, dtype=np.int64)
        self._cat_of = np.asarray(cat_of, dtype=np.int64)
        self._boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
        self.class_list = list(self._cat_names)

    def has_class_info(self) -> bool:
        return True

    def get_sequence_name(self, seq_id: int) -> str:
        return f"ann_{int(self._ann_ids[self.sequence_list[self._check_seq_id(seq_id)]])}"

    def get_annotation_id(self, seq_id: int) -> int:
        """The COCO annotation id of an instance (for cross-checking with the JSON)."""
        return int(self._ann_ids[self.sequence_list[self._check_seq_id(seq_id)]])

    def _sequence_class(self, seq_id: int) -> str:
        return self._cat_names[int(self._cat_of[self.sequence_list[seq_id]])]

    def get_object_meta(self, seq_id: int) -> dict[str, Any]:
        k = int(self._cat_of[self.sequence_list[self._check_seq_id(seq_id)]])
        return make_object_meta(object_class_name=self._cat_names[k], major_class=self._cat_super[k])

    def _read_image_info(self, image_id: int) -> dict[str, torch.Tensor]:
        bbox = torch.from_numpy(self._boxes[self.sequence_list[image_id]].copy())
        valid = (bbox[2] > 0) & (bbox[3] > 0)
        return {"bbox": bbox, "valid": valid, "visible": valid.clone()}

    def _image_path(self, image_id: int) -> Path:
        return self.image_dir / self._file_names[int(self._image_of[self.sequence_list[image_id]])]
