"""LaSOT test-set descriptor.

Layout (as released): ``<lasot_path>/<class>/<class>-<id>/img/<frame:08d>.jpg``, ``groundtruth.txt`` (``x,y,w,h``),
``full_occlusion.txt`` and ``out_of_view.txt`` (one comma-separated line of 0/1 flags per sequence).

Which sequences form the test set: if ``<lasot_path>/testing_set.txt`` exists (it ships with the benchmark) its
names are used; otherwise the built-in list of the 280 official test sequences (4 per class, 70 classes) is used.
``subset='all'`` instead takes every sequence found on disk. The number of frames is the number of ground-truth lines.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ltr.dataset.lasot_splits import LASOT_TEST_SEQUENCES
from pytracking.evaluation.data import BenchmarkDataset, PathLike, Sequence, frame_paths, read_annotation

__all__ = ["LaSOTDataset", "LASOT_TEST_SEQUENCES"]



def _read_flags(path: Path) -> np.ndarray | None:
    if not path.is_file():
        return None
    text = path.read_text().replace("\n", ",")
    return np.array([int(float(v)) for v in text.split(",") if v.strip()], dtype=bool)


class LaSOTDataset(BenchmarkDataset):
    """LaSOT: Fan et al., "LaSOT: A High-quality Benchmark for Large-scale Single Object Tracking", CVPR 2019.

    Root setting ``lasot_path``. ``subset``: 'test' (official 280) or 'all' (every sequence folder found).
    """

    name = "lasot"
    setting = "lasot_path"

    def __init__(self, root: PathLike | None = None, subset: str = "test"):
        super().__init__(root)
        if subset not in ("test", "all"):
            raise ValueError(f"LaSOT subset must be 'test' or 'all', got {subset!r}")
        self.subset = subset

    def sequence_names(self) -> list[str]:
        if self.subset == "all":
            return sorted(
                p.name for cls in sorted(self.root.iterdir()) if cls.is_dir() for p in cls.iterdir()
                if (p / "groundtruth.txt").is_file()
            )
        listing = self.root / "testing_set.txt"
        if listing.is_file():
            return [line.strip() for line in listing.read_text().splitlines() if line.strip()]
        return list(LASOT_TEST_SEQUENCES)

    def _seq_dir(self, name: str) -> Path:
        return self.root / name.rsplit("-", 1)[0] / name

    def required_files(self, name: str) -> list[Path]:
        d = self._seq_dir(name)
        return [d / "groundtruth.txt", d / "img" / "00000001.jpg"]

    def construct(self, name: str) -> Sequence:
        d = self._seq_dir(name)
        gt = read_annotation(d / "groundtruth.txt")[:, :4]
        frames = frame_paths(d / "img", 1, len(gt), 8, "jpg")
        occluded = _read_flags(d / "full_occlusion.txt")
        out_of_view = _read_flags(d / "out_of_view.txt")
        visible = None
        if occluded is not None and out_of_view is not None:
            if len(occluded) != len(gt) or len(out_of_view) != len(gt):
                raise ValueError(
                    f"LaSOT {name}: {len(occluded)} occlusion / {len(out_of_view)} out-of-view flags for "
                    f"{len(gt)} frames"
                )
            visible = ~(occluded | out_of_view)
        return Sequence(name, frames, self.name, gt, object_class=name.rsplit("-", 1)[0], target_visible=visible)
