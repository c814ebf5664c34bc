"""A dataset made of any directory of sequences (your own videos, a benchmark without a descriptor).

``<root>/<seq>/`` is one sequence. Its images (``.jpg``, ``.jpeg``, ``.png``, ``.bmp``, sorted by name with numbers
compared numerically) are taken from ``<seq>/img/``, ``<seq>/color/`` or ``<seq>/`` itself, whichever has images
first; its boxes from the first of ``groundtruth_rect.txt``, ``groundtruth.txt``, ``init_rect.txt``, ``init.txt``
(``x y w h`` per line, any of comma/tab/space delimiters; 8-value polygons are converted to enclosing boxes). Only the
first box is required: the rest is used for scoring when present. If ``root`` itself holds images it is a dataset of
one sequence. Select it on the command line with ``--dataset folder:/path/to/root``.
"""

from __future__ import annotations

import re
from pathlib import Path

from pytracking.evaluation.data import BenchmarkDataset, PathLike, Sequence, polygon_to_box, read_annotation

__all__ = ["FolderDataset"]

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")
ANNO_NAMES = ("groundtruth_rect.txt", "groundtruth.txt", "init_rect.txt", "init.txt")
IMAGE_SUBDIRS = ("img", "color", ".")


def _natural_key(path: Path) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def _images(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted((p for p in directory.iterdir() if p.suffix.lower() in IMAGE_EXTS), key=_natural_key)


class FolderDataset(BenchmarkDataset):
    """Sequences found under ``root`` (see module docstring). ``root`` is required."""

    name = "folder"

    def __init__(self, root: PathLike):
        if root is None:
            raise ValueError("FolderDataset needs a root folder (use --dataset folder:/path/to/sequences)")
        super().__init__(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"folder dataset root not found: {self.root}")

    def _single(self) -> bool:
        return bool(_images(self.root)) or bool(_images(self.root / "img"))

    def _seq_dir(self, name: str) -> Path:
        return self.root if self._single() else self.root / name

    def sequence_names(self) -> list[str]:
        if self._single():
            return [self.root.name]
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def _image_list(self, name: str) -> list[Path]:
        d = self._seq_dir(name)
        for sub in IMAGE_SUBDIRS:
            imgs = _images(d / sub)
            if imgs:
                return imgs
        return []

    def _anno(self, name: str) -> Path:
        d = self._seq_dir(name)
        for anno in ANNO_NAMES:
            if (d / anno).is_file():
                return d / anno
        return d / ANNO_NAMES[0]

    def required_files(self, name: str) -> list[Path]:
        images = self._image_list(name)
        first = images[0] if images else self._seq_dir(name) / "img" / "<no images>"
        return [self._anno(name), first]

    def construct(self, name: str) -> Sequence:
        images = self._image_list(name)
        gt = polygon_to_box(read_annotation(self._anno(name)))
        if len(gt) > 1 and len(gt) < len(images):
            images = images[: len(gt)]  # annotated range wins, like OTB
        return Sequence(name, [str(p) for p in images], self.name, gt)
