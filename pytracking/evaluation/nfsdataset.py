"""Need for Speed (NfS, 30 fps) descriptor.

Two on-disk layouts are accepted (the first found wins per sequence):

* the official release: ``<nfs_path>/<Seq>/30/<Seq>/<frame:05d>.jpg`` with ``<nfs_path>/<Seq>/30/<Seq>.txt`` in the
  NfS annotation format (``track_id xmin ymin xmax ymax frame lost occluded generated "label"`` per line). If the
  annotation is the 240 fps one (frame numbers run to about 8x the number of 30 fps images), every 8th annotated frame
  is taken (240 fps frame ``8k+1`` is 30 fps frame ``k+1``);
* a flattened layout: ``<nfs_path>/sequences/<Seq>/<frame:05d>.jpg`` with ``<nfs_path>/anno/nfs_<Seq>.txt`` holding
  one ``x y w h`` box per image.

Sequences are discovered on disk (NfS has 100); frames are the images for which a box exists.
Not verified on a real NfS copy here (none is available offline); the parser is tested on synthetic files.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from pytracking.evaluation.data import BenchmarkDataset, Sequence, read_annotation

__all__ = ["NFSDataset", "parse_nfs_annotation"]


def parse_nfs_annotation(path: Path, num_images: int) -> np.ndarray:
    """Boxes ``[x, y, w, h]`` for 30 fps images 1..num_images from an NfS annotation file (NaN where unannotated)."""
    rows = []
    for line_no, line in enumerate(Path(path).read_text().splitlines(), start=1):
        parts = re.sub(r'"[^"]*"', "", line).split()
        if not parts:
            continue
        try:
            x1, y1, x2, y2, frame = (float(v) for v in parts[1:6])
        except ValueError as exc:
            raise ValueError(f"{path}:{line_no}: cannot parse NfS annotation line {line!r}") from exc
        rows.append((int(frame), x1, y1, x2, y2))
    if not rows:
        raise ValueError(f"{path}: no annotations")
    frames = np.array([r[0] for r in rows])
    boxes = np.array([[r[1], r[2], r[3] - r[1], r[4] - r[2]] for r in rows], dtype=np.float64)
    if frames.max() > 2 * num_images:  # 240 fps annotation of a 30 fps image sequence
        keep = (frames - 1) % 8 == 0
        frames, boxes = (frames[keep] - 1) // 8 + 1, boxes[keep]
    elif frames.min() == 0:  # 0-based frame numbers
        frames = frames + 1
    out = np.full((num_images, 4), np.nan)
    valid = (frames >= 1) & (frames <= num_images)
    out[frames[valid] - 1] = boxes[valid]
    return out


class NFSDataset(BenchmarkDataset):
    """NfS: Kiani Galoogahi et al., "Need for Speed: A Benchmark for Higher Frame Rate Object Tracking", ICCV 2017.

    Root setting ``nfs_path``.
    """

    name = "nfs"
    setting = "nfs_path"

    def sequence_names(self) -> list[str]:
        if not self.root.is_dir():
            raise FileNotFoundError(f"NfS folder not found: {self.root} (set PYTRACKING_NFS_PATH)")
        names = {p.name for p in self.root.iterdir() if (p / "30" / p.name).is_dir()}
        if (self.root / "sequences").is_dir():
            names |= {p.name for p in (self.root / "sequences").iterdir() if p.is_dir()}
        return sorted(names)

    def _layout(self, name: str) -> tuple[Path, Path, bool]:
        """(image dir, annotation file, raw NfS format?)"""
        official = self.root / name / "30"
        if (official / name).is_dir():
            return official / name, official / f"{name}.txt", True
        return self.root / "sequences" / name, self.root / "anno" / f"nfs_{name}.txt", False

    def required_files(self, name: str) -> list[Path]:
        image_dir, anno, _ = self._layout(name)
        return [anno, image_dir / "00001.jpg"]

    def construct(self, name: str) -> Sequence:
        image_dir, anno, raw = self._layout(name)
        images = sorted(str(p) for p in image_dir.glob("*.jpg"))
        if raw:
            gt = parse_nfs_annotation(anno, len(images))
        else:
            gt = read_annotation(anno)[:, :4]
            images = images[: len(gt)]
        return Sequence(name, images, self.name, gt)
