"""ImageNet-VID (ILSVRC 2015 VID) reader: every object track of every video is one sequence.

Layout: ``root/Data/VID/<split>/.../<video>/%06d.JPEG`` and ``root/Annotations/VID/<split>/.../<video>/%06d.xml``
(``train`` has chunk folders ``ILSVRC2015_VID_train_000x``, ``val`` has videos directly). Each XML lists the objects
of one frame (``trackid``, WordNet id ``name``, ``bndbox`` xmin/ymin/xmax/ymax, ``occluded``).

A track's sequence spans from the first to the last frame in which its ``trackid`` appears; frames in between where
it is missing get a zero box and ``valid = visible = False``. ``visible`` also excludes frames flagged ``occluded``.
Boxes are ``[xmin, ymin, xmax - xmin, ymax - ymin]``.

Parsing ~1.1M XML files takes long, so the parsed tracks are cached as JSON (``cache_file``, default
``<root>/ltr_imagenetvid_<split>_cache.json``) written atomically; later runs read the cache. When the dataset folder
is read-only the cache cannot be written: a warning says so and the dataset works uncached.
"""

from __future__ import annotations

import json
import os
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ltr.admin.atomic_io import atomic_write_text
from ltr.dataset.base_video_dataset import (
    BaseVideoDataset,
    ImageLoader,
    PathLike,
    make_object_meta,
    natural_key,
    select_fraction,
    sequence_info_from_boxes,
)

__all__ = ["ImagenetVID", "VID_CLASSES"]

CACHE_VERSION = 1

#: WordNet ids of the 30 VID categories -> readable names.
VID_CLASSES = {
    "n02691156": "airplane", "n02419796": "antelope", "n02131653": "bear", "n02834778": "bicycle",
    "n01503061": "bird", "n02924116": "bus", "n02958343": "car", "n02402425": "cattle", "n02084071": "dog",
    "n02121808": "domestic_cat", "n02503517": "elephant", "n02118333": "fox", "n02510455": "giant_panda",
    "n02342885": "hamster", "n02374451": "horse", "n02129165": "lion", "n01674464": "lizard", "n02484322": "monkey",
    "n03790512": "motorcycle", "n02324045": "rabbit", "n02509815": "red_panda", "n02411705": "sheep",
    "n01726692": "snake", "n02355227": "squirrel", "n02129604": "tiger", "n04468005": "train", "n01662784": "turtle",
    "n04530566": "watercraft", "n02062744": "whale", "n02391049": "zebra",
}  # fmt: skip


def _int(elem: ET.Element | None, tag: str, path: Path) -> int:
    node = elem.find(tag) if elem is not None else None
    if node is None or node.text is None:
        raise ValueError(f"{path}: missing <{tag}>")
    return int(float(node.text))


def parse_vid_video(anno_dir: Path) -> list[dict[str, Any]]:
    """Parse one video's XML files into tracks: {start, class, boxes [[x,y,w,h]|None per frame], occluded}."""
    files = sorted((f for f in os.listdir(anno_dir) if f.endswith(".xml")), key=natural_key)
    tracks: dict[int, dict[str, Any]] = {}
    for frame_no, fname in enumerate(files):
        path = anno_dir / fname
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as err:
            raise ValueError(f"cannot parse ImageNet-VID annotation '{path}': {err}") from err
        for obj in root.findall("object"):
            tid = _int(obj, "trackid", path)
            box = obj.find("bndbox")
            x1, y1 = _int(box, "xmin", path), _int(box, "ymin", path)
            x2, y2 = _int(box, "xmax", path), _int(box, "ymax", path)
            occ_node = obj.find("occluded")
            occluded = bool(int(occ_node.text)) if occ_node is not None and occ_node.text else False
            name_node = obj.find("name")
            synset = name_node.text.strip() if name_node is not None and name_node.text else "unknown"
            tr = tracks.setdefault(tid, {"start": frame_no, "class": synset, "frames": {}})
            tr["frames"][frame_no] = ([x1, y1, x2 - x1, y2 - y1], occluded)
    out = []
    for tid in sorted(tracks):
        tr = tracks[tid]
        first, last = min(tr["frames"]), max(tr["frames"])
        boxes = [tr["frames"].get(f, (None, False))[0] for f in range(first, last + 1)]
        occluded = [tr["frames"].get(f, (None, False))[1] for f in range(first, last + 1)]
        out.append(
            {
                "track_id": tid,
                "start": first,
                "class": tr["class"],
                "boxes": boxes,
                "occluded": occluded,
                "frame_names": [Path(files[f]).stem for f in range(first, last + 1)],
            }
        )
    return out


class ImagenetVID(BaseVideoDataset):
    """ImageNet-VID object tracks as sequences.

    Args:
        root: ILSVRC root (holding ``Data/VID`` and ``Annotations/VID``).
        image_loader: image decoder.
        split: ``'train'`` or ``'val'``.
        data_fraction: keep a deterministic fraction of the tracks.
        min_length: drop tracks shorter than this many frames.
        cache_file: where to cache parsed annotations (default ``<root>/ltr_imagenetvid_<split>_cache.json``);
            ``False`` disables caching.
        seed: seed of the ``data_fraction`` selection.
    """

    def __init__(
        self,
        root: PathLike,
        image_loader: ImageLoader | None = None,
        split: str = "train",
        data_fraction: float | None = None,
        min_length: int = 1,
        cache_file: PathLike | bool | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__("imagenetvid", root, image_loader)
        if split not in ("train", "val"):
            raise ValueError(f"ImageNet-VID split must be 'train' or 'val', got {split!r}")
        self.data_dir = self.root / "Data" / "VID" / split
        self.anno_dir = self.root / "Annotations" / "VID" / split
        for d in (self.data_dir, self.anno_dir):
            if not d.is_dir():
                raise FileNotFoundError(
                    f"ImageNet-VID folder '{d}' not found (root should be the ILSVRC folder holding Data/VID and "
                    "Annotations/VID)"
                )
        if cache_file is None or cache_file is True:
            cache_path: Path | None = self.root / f"ltr_imagenetvid_{split}_cache.json"
        elif cache_file is False:
            cache_path = None
        else:
            cache_path = Path(cache_file)
        tracks = self._load_tracks(cache_path)
        tracks = [t for t in tracks if len(t["boxes"]) >= int(min_length)]
        self.sequence_list = select_fraction(tracks, data_fraction, seed)
        self.class_list = sorted({VID_CLASSES.get(t["class"], t["class"]) for t in self.sequence_list})

    def _load_tracks(self, cache_path: Path | None) -> list[dict[str, Any]]:
        if cache_path is not None and cache_path.is_file():
            try:
                cached = json.loads(cache_path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                warnings.warn(
                    f"ignoring unreadable ImageNet-VID cache '{cache_path}' ({err}); re-parsing", stacklevel=3
                )
            else:
                if cached.get("version") == CACHE_VERSION:
                    return cached["tracks"]
                warnings.warn(f"ImageNet-VID cache '{cache_path}' has an old format; re-parsing", stacklevel=3)
        tracks = []
        videos = sorted(
            (Path(dirpath) for dirpath, _, files in os.walk(self.anno_dir) if any(f.endswith(".xml") for f in files)),
            key=lambda p: natural_key(str(p)),
        )
        for video in videos:
            rel = video.relative_to(self.anno_dir).as_posix()
            for tr in parse_vid_video(video):
                tr["video"] = rel
                tracks.append(tr)
        if cache_path is not None:
            try:
                atomic_write_text(cache_path, json.dumps({"version": CACHE_VERSION, "tracks": tracks}))
            except OSError as err:
                warnings.warn(
                    f"could not write ImageNet-VID annotation cache '{cache_path}' ({err}); pass cache_file= a "
                    "writable path to avoid re-parsing the XML files next time",
                    stacklevel=3,
                )
        return tracks

    def has_class_info(self) -> bool:
        return True

    def has_occlusion_info(self) -> bool:
        return True

    def get_sequence_name(self, seq_id: int) -> str:
        tr = self.sequence_list[self._check_seq_id(seq_id)]
        return f"{tr['video']}/track_{tr['track_id']}"

    def _sequence_class(self, seq_id: int) -> str:
        synset = self.sequence_list[seq_id]["class"]
        return VID_CLASSES.get(synset, synset)

    def get_object_meta(self, seq_id: int) -> dict[str, Any]:
        return make_object_meta(object_class_name=self._sequence_class(self._check_seq_id(seq_id)))

    def _read_sequence_info(self, seq_id: int) -> dict[str, torch.Tensor]:
        tr = self.sequence_list[seq_id]
        present = np.array([b is not None for b in tr["boxes"]], dtype=bool)
        bbox = np.array([b if b is not None else [0, 0, 0, 0] for b in tr["boxes"]], dtype=np.float32)
        occluded = np.asarray(tr["occluded"], dtype=bool)
        info = sequence_info_from_boxes(bbox, present & ~occluded)
        info["valid"] &= torch.from_numpy(present)
        return info

    def _frame_path(self, seq_id: int, frame_id: int) -> Path:
        tr = self.sequence_list[seq_id]
        return self.data_dir / tr["video"] / f"{tr['frame_names'][frame_id]}.JPEG"
