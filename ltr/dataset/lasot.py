"""LaSOT reader (``root/<class>/<class>-<id>/img/%08d.jpg`` with per-sequence annotation files).

Per sequence: ``groundtruth.txt`` (one ``x,y,w,h`` line per frame), ``full_occlusion.txt`` and ``out_of_view.txt``
(one comma-separated line of 0/1 flags per frame) and ``nlp.txt`` (a language description). A frame is visible when it
is neither fully occluded nor out of view and its box is valid.
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
from ltr.dataset.lasot_splits import is_lasot_test_sequence

__all__ = ["Lasot"]


def _read_flags(path: Path, num_frames: int) -> np.ndarray | None:
    """0/1 flags from a LaSOT flag file (comma separated, possibly across lines); None if the file is absent."""
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8", errors="replace").replace("\n", ",").replace("\t", ",")
    tokens = [t.strip() for t in text.split(",") if t.strip()]
    try:
        flags = np.array([int(float(t)) for t in tokens], dtype=np.int64)
    except ValueError:
        raise ValueError(f"{path}: expected comma-separated 0/1 flags") from None
    if flags.size != num_frames:
        raise ValueError(f"{path}: {flags.size} flags but groundtruth.txt has {num_frames} boxes")
    return flags.astype(bool)


class Lasot(BaseVideoDataset):
    """LaSOT training/testing sequences.

    Args:
        root: LaSOT root holding one folder per class (``airplane/``, ``basketball/``, ...).
        image_loader: image decoder (default :func:`ltr.data.image_loader.default_image_loader`).
        split: ``None`` for every sequence found; ``'test'`` for the official 280 test sequences, ``'train'`` for
            every other sequence found on disk (the protocol's 16 per class); or the path of a text file listing
            sequence names (``cat-3``), one per line.
        vid_ids: optional list of per-class sequence numbers to keep (e.g. ``[1, 2, 3]`` keeps ``<class>-1..3``);
            cannot be combined with ``split``.
        data_fraction: keep a deterministic fraction of the sequences (see ``select_fraction``).
        seed: seed of the ``data_fraction`` selection.
    """

    def __init__(
        self,
        root: PathLike,
        image_loader: ImageLoader | None = None,
        split: PathLike | None = None,
        vid_ids: list[int] | None = None,
        data_fraction: float | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__("lasot", root, image_loader)
        self._require_root_dir("LaSOT", "<root>/<class>/<class>-<id>")
        if split is not None and vid_ids is not None:
            raise ValueError("give either split (a file of sequence names) or vid_ids, not both")
        if split is not None:
            names = self._read_split(split)
        else:
            names = self._scan()
            if vid_ids is not None:
                keep = {int(v) for v in vid_ids}
                names = [n for n in names if int(n.rsplit("-", 1)[1]) in keep]
        if not names:
            raise FileNotFoundError(f"no LaSOT sequences found under '{self.root}' (expected <class>/<class>-<id>/)")
        self.sequence_list = select_fraction(names, data_fraction, seed)
        self.class_list = sorted({n.rsplit("-", 1)[0] for n in self.sequence_list})

    def _scan(self) -> list[str]:
        names = []
        for cls in sorted(os.listdir(self.root)):
            cdir = self.root / cls
            if not cdir.is_dir():
                continue
            for seq in os.listdir(cdir):
                if seq.startswith(cls + "-") and (cdir / seq / "groundtruth.txt").is_file():
                    names.append(seq)
        return sorted(names, key=natural_key)

    def _read_split(self, split: PathLike) -> list[str]:
        if isinstance(split, str) and split.lower() in ("train", "test") and not Path(split).is_file():
            found = self._scan()
            wanted = split.lower() == "test"
            names = [n for n in found if is_lasot_test_sequence(n) == wanted]
            if not names:
                raise FileNotFoundError(
                    f"LaSOT split {split!r}: none of the {len(found)} sequences under '{self.root}' belong to it"
                )
            return names
        path = Path(split)
        if not path.is_file():
            raise FileNotFoundError(f"LaSOT split file '{path}' not found")
        names = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        missing = [n for n in names if not (self._seq_dir(n) / "groundtruth.txt").is_file()]
        if missing:
            raise FileNotFoundError(
                f"LaSOT split file '{path}' lists {len(missing)} sequence(s) not found under '{self.root}', "
                f"e.g. {missing[:3]}"
            )
        return names

    def _seq_dir(self, name: str) -> Path:
        return self.root / name.rsplit("-", 1)[0] / name

    def has_class_info(self) -> bool:
        return True

    def has_occlusion_info(self) -> bool:
        return True

    def _sequence_class(self, seq_id: int) -> str:
        return self.sequence_list[seq_id].rsplit("-", 1)[0]

    def _read_sequence_info(self, seq_id: int) -> dict[str, torch.Tensor]:
        seq_dir = self._seq_dir(self.sequence_list[seq_id])
        bbox = read_text_table(seq_dir / "groundtruth.txt", num_cols=4)
        n = bbox.shape[0]
        occ = _read_flags(seq_dir / "full_occlusion.txt", n)
        oov = _read_flags(seq_dir / "out_of_view.txt", n)
        hidden = np.zeros(n, dtype=bool)
        for flags in (occ, oov):
            if flags is not None:
                hidden |= flags
        return sequence_info_from_boxes(bbox, ~hidden)

    def _frame_path(self, seq_id: int, frame_id: int) -> Path:
        return self._seq_dir(self.sequence_list[seq_id]) / "img" / f"{frame_id + 1:08d}.jpg"

    def get_sequence_description(self, seq_id: int) -> str | None:
        """The language description from ``nlp.txt`` (None if absent)."""
        path = self._seq_dir(self.sequence_list[self._check_seq_id(seq_id)]) / "nlp.txt"
        return path.read_text(encoding="utf-8", errors="replace").strip() if path.is_file() else None

    def get_object_meta(self, seq_id: int) -> dict[str, Any]:
        seq_id = self._check_seq_id(seq_id)
        return make_object_meta(object_class_name=self._sequence_class(seq_id))
