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

from pytracking.evaluation.data import BenchmarkDataset, PathLike, Sequence, frame_paths, read_annotation

__all__ = ["LaSOTDataset", "LASOT_TEST_SEQUENCES"]

_TEST_IDS: dict[str, tuple[int, ...]] = {
    "airplane": (1, 9, 13, 15),
    "basketball": (1, 6, 7, 11),
    "bear": (2, 4, 6, 17),
    "bicycle": (2, 7, 9, 18),
    "bird": (2, 3, 15, 17),
    "boat": (3, 4, 12, 17),
    "book": (3, 10, 11, 19),
    "bottle": (1, 12, 14, 18),
    "bus": (2, 5, 17, 19),
    "car": (2, 6, 9, 17),
    "cat": (1, 3, 18, 20),
    "cattle": (2, 7, 12, 13),
    "chameleon": (3, 6, 11, 20),
    "coin": (3, 6, 7, 18),
    "crab": (3, 6, 12, 18),
    "crocodile": (3, 4, 10, 14),
    "cup": (1, 4, 7, 17),
    "deer": (4, 8, 10, 14),
    "dog": (1, 7, 15, 19),
    "drone": (2, 7, 13, 15),
    "electricfan": (1, 10, 18, 20),
    "elephant": (1, 12, 16, 18),
    "flag": (2, 3, 5, 9),
    "fox": (2, 3, 5, 20),
    "frog": (3, 4, 9, 20),
    "gametarget": (1, 2, 7, 13),
    "gecko": (1, 5, 16, 19),
    "giraffe": (2, 10, 13, 15),
    "goldfish": (3, 7, 8, 10),
    "gorilla": (4, 6, 9, 13),
    "guitar": (3, 8, 10, 16),
    "hand": (2, 3, 9, 16),
    "hat": (1, 2, 5, 18),
    "helmet": (5, 11, 13, 19),
    "hippo": (1, 7, 9, 20),
    "horse": (1, 4, 12, 15),
    "kangaroo": (2, 5, 11, 14),
    "kite": (4, 6, 10, 15),
    "leopard": (1, 7, 16, 20),
    "licenseplate": (6, 12, 13, 15),
    "lion": (1, 5, 12, 20),
    "lizard": (1, 3, 6, 13),
    "microphone": (2, 6, 14, 16),
    "monkey": (3, 4, 9, 17),
    "motorcycle": (1, 3, 9, 18),
    "mouse": (1, 8, 9, 17),
    "person": (1, 5, 10, 12),
    "pig": (2, 10, 13, 18),
    "pool": (3, 7, 12, 15),
    "rabbit": (10, 13, 17, 19),
    "racing": (10, 15, 16, 20),
    "robot": (1, 5, 8, 19),
    "rubicCube": (1, 6, 14, 19),
    "sepia": (6, 8, 13, 16),
    "shark": (2, 3, 5, 6),
    "sheep": (3, 5, 7, 9),
    "skateboard": (3, 8, 16, 19),
    "spider": (14, 16, 18, 20),
    "squirrel": (8, 11, 13, 19),
    "surfboard": (4, 5, 8, 12),
    "swing": (10, 14, 17, 20),
    "tank": (6, 9, 14, 16),
    "tiger": (4, 6, 12, 18),
    "train": (1, 7, 11, 20),
    "truck": (3, 6, 7, 16),
    "turtle": (5, 8, 9, 16),
    "umbrella": (2, 9, 17, 19),
    "volleyball": (1, 13, 18, 19),
    "yoyo": (7, 15, 17, 19),
    "zebra": (10, 14, 16, 17),
}

LASOT_TEST_SEQUENCES: tuple[str, ...] = tuple(f"{cls}-{i}" for cls, ids in _TEST_IDS.items() for i in ids)


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
