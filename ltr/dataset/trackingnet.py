"""TrackingNet reader (``root/TRAIN_<i>/frames/<seq>/<n>.jpg``, ``root/TRAIN_<i>/anno/<seq>.txt``).

Frames are numbered from 0 without zero padding (``0.jpg, 1.jpg, ...``); annotations are one ``x,y,w,h`` line per
frame. TrackingNet has no occlusion labels, so ``visible`` equals box validity. Object classes are not part of the
release; when a class-map file is given (or ``<root>/trackingnet_classmap.txt`` exists) with lines
``<seq>\t<class>`` (``<seq>`` may be prefixed by its chunk, ``TRAIN_3/<seq>``; tab or comma separated) classes are
available.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch

from ltr.dataset.base_video_dataset import (
    BaseVideoDataset,
    ImageLoader,
    PathLike,
    make_object_meta,
    natural_key,
    read_text_table,
    select_fraction,
    sequence_info_from_boxes,
)

__all__ = ["TrackingNet"]

_CHUNK_RE = re.compile(r"^TRAIN_(\d+)$")
DEFAULT_CLASS_MAP = "trackingnet_classmap.txt"


class TrackingNet(BaseVideoDataset):
    """TrackingNet training chunks.

    Args:
        root: TrackingNet root containing ``TRAIN_0`` ... ``TRAIN_11``.
        image_loader: image decoder.
        set_ids: chunk numbers to use (default: every ``TRAIN_<i>`` folder present).
        class_map: optional path of a sequence-to-class file (see module docstring).
        data_fraction: keep a deterministic fraction of the sequences.
        seed: seed of the ``data_fraction`` selection.
    """

    def __init__(
        self,
        root: PathLike,
        image_loader: ImageLoader | None = None,
        set_ids: list[int] | None = None,
        class_map: PathLike | None = None,
        data_fraction: float | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__("trackingnet", root, image_loader)
        self._require_root_dir("TrackingNet", "<root>/TRAIN_<i>/")
        present = sorted(int(m.group(1)) for e in os.listdir(self.root) if (m := _CHUNK_RE.match(e)))
        if set_ids is None:
            set_ids = present
        missing = [i for i in set_ids if i not in present]
        if missing:
            raise FileNotFoundError(
                f"TrackingNet chunk(s) {[f'TRAIN_{i}' for i in missing]} not found under '{self.root}' "
                f"(present: {[f'TRAIN_{i}' for i in present]})"
            )
        if not set_ids:
            raise FileNotFoundError(f"no TRAIN_<i> folders under TrackingNet root '{self.root}'")
        entries: list[tuple[int, str]] = []
        for i in sorted(set(int(s) for s in set_ids)):
            anno_dir = self.root / f"TRAIN_{i}" / "anno"
            if not anno_dir.is_dir():
                raise FileNotFoundError(f"TrackingNet annotation folder '{anno_dir}' not found")
            names = sorted((f[:-4] for f in os.listdir(anno_dir) if f.endswith(".txt")), key=natural_key)
            entries.extend((i, n) for n in names)
        self.sequence_list = select_fraction(entries, data_fraction, seed)
        self._classes = self._read_class_map(class_map)
        if self._classes is not None:
            self.class_list = sorted({self._classes.get(n, "unknown") for _, n in self.sequence_list})

    def _read_class_map(self, class_map: PathLike | None) -> dict[str, str] | None:
        if class_map is None:
            default = self.root / DEFAULT_CLASS_MAP
            if not default.is_file():
                return None
            path = default
        else:
            path = Path(class_map)
            if not path.is_file():
                raise FileNotFoundError(f"TrackingNet class map '{path}' not found")
        classes: dict[str, str] = {}
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            text = line.strip()
            if not text:
                continue
            parts = re.split(r"\t|,", text, maxsplit=1)
            if len(parts) != 2:
                raise ValueError(f"{path}:{line_no}: expected '<sequence>\\t<class>', got {text!r}")
            seq, cls = parts[0].strip(), parts[1].strip()
            classes[seq.rsplit("/", 1)[-1]] = cls
        return classes

    def has_class_info(self) -> bool:
        return self._classes is not None

    def get_sequence_name(self, seq_id: int) -> str:
        chunk, name = self.sequence_list[self._check_seq_id(seq_id)]
        return f"TRAIN_{chunk}/{name}"

    def _sequence_class(self, seq_id: int) -> str:
        if self._classes is None:
            raise NotImplementedError("TrackingNet has no class information without a class map")
        return self._classes.get(self.sequence_list[seq_id][1], "unknown")

    def get_object_meta(self, seq_id: int) -> dict[str, Any]:
        seq_id = self._check_seq_id(seq_id)
        cls = self._sequence_class(seq_id) if self._classes is not None else None
        return make_object_meta(object_class_name=cls)

    def _read_sequence_info(self, seq_id: int) -> dict[str, torch.Tensor]:
        chunk, name = self.sequence_list[seq_id]
        bbox = read_text_table(self.root / f"TRAIN_{chunk}" / "anno" / f"{name}.txt", num_cols=4)
        return sequence_info_from_boxes(bbox)

    def _frame_path(self, seq_id: int, frame_id: int) -> Path:
        chunk, name = self.sequence_list[seq_id]
        return self.root / f"TRAIN_{chunk}" / "frames" / name / f"{frame_id}.jpg"
