"""VOT (short-term, 2016 and later layout) descriptor.

Layout: ``<vot_path>/list.txt`` naming the sequences, ``<seq>/color/<frame:08d>.jpg`` (older releases keep the images
directly in ``<seq>/``; both are accepted) and ``<seq>/groundtruth.txt``. Ground truth is an 8-value polygon per
line (``x1,y1,...,x4,y4``, the corners of a rotated rectangle) or a 4-value box. Polygons are converted to the
**axis-aligned box enclosing all four corners** (min/max of the corner coordinates), because the trackers here and
the OTB-style metrics work with ``[x, y, w, h]``. The original polygons stay available as ``seq.polygons`` for tools
that score rotated overlap.
"""

from __future__ import annotations

from pathlib import Path

from pytracking.evaluation.data import BenchmarkDataset, Sequence, polygon_to_box, read_annotation

__all__ = ["VOTDataset"]


class VOTDataset(BenchmarkDataset):
    """VOT short-term challenge sequences (Kristan et al., VOT 2016-2019). Root setting ``vot_path``."""

    name = "vot"
    setting = "vot_path"

    def sequence_names(self) -> list[str]:
        listing = self.root / "list.txt"
        if listing.is_file():
            return [line.strip() for line in listing.read_text().splitlines() if line.strip()]
        if not self.root.is_dir():
            raise FileNotFoundError(f"VOT dataset folder not found: {self.root} (set PYTRACKING_VOT_PATH)")
        return sorted(p.name for p in self.root.iterdir() if (p / "groundtruth.txt").is_file())

    def _image_dir(self, name: str) -> Path:
        seq_dir = self.root / name
        return seq_dir / "color" if (seq_dir / "color").is_dir() else seq_dir

    def required_files(self, name: str) -> list[Path]:
        return [self.root / name / "groundtruth.txt", self._image_dir(name) / "00000001.jpg"]

    def construct(self, name: str) -> Sequence:
        raw = read_annotation(self.root / name / "groundtruth.txt")
        gt = polygon_to_box(raw)
        image_dir = self._image_dir(name)
        frames = [str(image_dir / f"{i:08d}.jpg") for i in range(1, len(gt) + 1)]
        seq = Sequence(name, frames, self.name, gt)
        seq.polygons = raw
        return seq
