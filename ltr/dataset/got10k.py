"""GOT-10k reader (``root/<seq>/%08d.jpg`` with ``groundtruth.txt`` and per-frame label files).

Per sequence: ``groundtruth.txt`` (``x,y,w,h`` per frame), ``absence.label`` (1 = target absent),
``cover.label`` (0-8, visible fraction in eighths), ``cut_by_image.label`` (1 = box cut by the image border) and
``meta_info.ini`` (object/motion classes). The optional label files may be missing (custom exports, partial
downloads); then only the information present is used. ``visible = not absent and cover > 0 and box valid``,
``visible_ratio = cover / 8`` (only when ``cover.label`` exists).

Accepted layouts for ``root``: the training folder itself (``.../train`` with ``list.txt`` and the sequence folders),
or a folder holding the archive's split folders (``GOT-10k_Train_split_01/GOT-10k_Train_000001/...``), or a folder
that contains ``train/`` in one of those layouts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
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

__all__ = ["Got10k", "read_got10k_meta"]

_META_FIELDS = {
    "object_class": "object_class_name",
    "motion_class": "motion_class",
    "major_class": "major_class",
    "root_class": "root_class",
    "motion_adverb": "motion_adverb",
}


def read_got10k_meta(path: Path) -> dict[str, Any]:
    """Parse ``meta_info.ini`` ('key: value' lines under a [METAINFO] header) into the standard object meta."""
    fields: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if not line or line.startswith("[") or ":" not in line:
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.strip()
    meta = {out: (fields.get(key) or None) for key, out in _META_FIELDS.items()}
    return make_object_meta(**meta)


def _read_label(path: Path, num_frames: int) -> np.ndarray | None:
    if not path.is_file():
        return None
    values = read_text_table(path, num_cols=1)[:, 0] if path.stat().st_size else np.zeros(0)
    if values.size != num_frames:
        raise ValueError(f"{path}: {values.size} labels but groundtruth.txt has {num_frames} boxes")
    return values.astype(np.int64)


def _is_sequence_dir(path: Path) -> bool:
    return (path / "groundtruth.txt").is_file()


class Got10k(BaseVideoDataset):
    """GOT-10k training (or validation) sequences.

    Args:
        root: GOT-10k ``train`` folder (or the folder of split folders; see module docstring).
        image_loader: image decoder.
        split: ``None`` for all sequences, or the path of a text file selecting sequences: one entry per line, either a
            sequence name (``GOT-10k_Train_000123``) or an integer, read as the 0-based index into the sorted full
            sequence list (the convention of published GOT-10k split files).
        seq_ids: optional list of 0-based indices into the sorted full sequence list (alternative to ``split``).
        data_fraction: keep a deterministic fraction of the sequences.
        seed: seed of the ``data_fraction`` selection.
    """

    def __init__(
        self,
        root: PathLike,
        image_loader: ImageLoader | None = None,
        split: PathLike | None = None,
        seq_ids: list[int] | None = None,
        data_fraction: float | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__("got10k", root, image_loader)
        self._require_root_dir("GOT-10k")
        if split is not None and seq_ids is not None:
            raise ValueError("give either split (a file) or seq_ids, not both")
        self._seq_dirs = self._locate_sequences()
        all_names = self._all_names()
        if split is not None:
            names = self._read_split(Path(split), all_names)
        elif seq_ids is not None:
            names = [self._index(all_names, int(i), "seq_ids") for i in seq_ids]
        else:
            names = all_names
        self.sequence_list = select_fraction(names, data_fraction, seed)
        self._meta_cache: dict[int, dict[str, Any]] = {}

    # ---------------------------------------------------------------------------------------------- layout
    def _locate_sequences(self) -> dict[str, Path]:
        """Map sequence name -> folder, trying the plain layout, the split-folder layout and ``root/train``."""
        for base in (self.root, self.root / "train"):
            if not base.is_dir():
                continue
            found: dict[str, Path] = {}
            entries = sorted(os.listdir(base))
            for entry in entries:
                path = base / entry
                if _is_sequence_dir(path):
                    found[entry] = path
                elif path.is_dir() and entry.lower().startswith("got-10k_") and "split" in entry.lower():
                    for seq in os.listdir(path):
                        if _is_sequence_dir(path / seq):
                            found[seq] = path / seq
            if found:
                self._list_base = base
                return found
        raise FileNotFoundError(
            f"no GOT-10k sequences under '{self.root}'. Expected either '<root>/<seq>/groundtruth.txt' (root = the "
            "unpacked 'train' folder with list.txt) or the archive's split folders "
            "'<root>/GOT-10k_Train_split_01/<seq>/groundtruth.txt'"
        )

    def _all_names(self) -> list[str]:
        list_file = self._list_base / "list.txt"
        if list_file.is_file():
            names = [ln.strip() for ln in list_file.read_text(encoding="utf-8").splitlines() if ln.strip()]
            missing = [n for n in names if n not in self._seq_dirs]
            if missing:
                raise FileNotFoundError(
                    f"'{list_file}' lists {len(missing)} sequence(s) not found under '{self._list_base}', e.g. "
                    f"{missing[:3]} (incomplete download or unpacking?)"
                )
            return sorted(names, key=natural_key)
        return sorted(self._seq_dirs, key=natural_key)

    @staticmethod
    def _index(all_names: list[str], i: int, what: str) -> str:
        if not 0 <= i < len(all_names):
            raise IndexError(f"{what}: index {i} out of range for {len(all_names)} GOT-10k sequences")
        return all_names[i]

    def _read_split(self, path: Path, all_names: list[str]) -> list[str]:
        if not path.is_file():
            raise FileNotFoundError(
                f"GOT-10k split file '{path}' not found (give a text file of sequence names or 0-based indices)"
            )
        names = []
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            entry = line.strip()
            if not entry:
                continue
            if entry.isdigit():
                names.append(self._index(all_names, int(entry), f"{path}:{line_no}"))
            elif entry in self._seq_dirs:
                names.append(entry)
            else:
                raise FileNotFoundError(f"{path}:{line_no}: sequence {entry!r} not found under '{self.root}'")
        return names

    # ---------------------------------------------------------------------------------------------- contract
    def has_class_info(self) -> bool:
        return True

    def has_occlusion_info(self) -> bool:
        return True

    def get_class_list(self) -> list[str]:
        self._ensure_classes()
        return list(self.class_list)

    def get_num_classes(self) -> int:
        self._ensure_classes()
        return len(self.class_list)

    def _ensure_classes(self) -> None:
        """Class names come from every sequence's meta_info.ini; read them only when classes are asked for."""
        if not self.class_list:
            names = {self._sequence_class(i) for i in range(self.get_num_sequences())}
            self.class_list = sorted(names)

    def get_sequences_in_class(self, class_name: str) -> list[int]:
        self._ensure_classes()
        return super().get_sequences_in_class(class_name)

    def _sequence_class(self, seq_id: int) -> str:
        return self.get_object_meta(seq_id)["object_class_name"] or "unknown"

    def get_object_meta(self, seq_id: int) -> dict[str, Any]:
        seq_id = self._check_seq_id(seq_id)
        if seq_id not in self._meta_cache:
            self._meta_cache[seq_id] = read_got10k_meta(self._seq_dir(seq_id) / "meta_info.ini")
        return dict(self._meta_cache[seq_id])

    def _seq_dir(self, seq_id: int) -> Path:
        return self._seq_dirs[self.sequence_list[seq_id]]

    def _read_sequence_info(self, seq_id: int) -> dict[str, torch.Tensor]:
        seq_dir = self._seq_dir(seq_id)
        bbox = read_text_table(seq_dir / "groundtruth.txt", num_cols=4)
        n = bbox.shape[0]
        absent = _read_label(seq_dir / "absence.label", n)
        cover = _read_label(seq_dir / "cover.label", n)
        cut = _read_label(seq_dir / "cut_by_image.label", n)
        visible = np.ones(n, dtype=bool)
        if absent is not None:
            visible &= absent == 0
        if cover is not None:
            visible &= cover > 0
        info = sequence_info_from_boxes(bbox, visible)
        if cover is not None:
            info["visible_ratio"] = torch.tensor(cover / 8.0, dtype=torch.float32)
        if cut is not None:
            info["cut_by_image"] = torch.tensor(cut != 0)
        return info

    def _frame_path(self, seq_id: int, frame_id: int) -> Path:
        return self._seq_dir(seq_id) / f"{frame_id + 1:08d}.jpg"
