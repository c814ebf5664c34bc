"""GOT-10k test and validation descriptors.

Layout (as released): ``<got10k_path>/<split>/list.txt`` naming the sequences, ``<split>/<seq>/<frame:08d>.jpg`` and
``<split>/<seq>/groundtruth.txt`` (comma-separated ``x,y,w,h``). The test split publishes only the first box (results
go to the evaluation server); the validation split has every box and an ``absence.label`` file (1 = target absent).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pytracking.evaluation.data import BenchmarkDataset, PathLike, Sequence, read_annotation

__all__ = ["GOT10kDataset"]


class GOT10kDataset(BenchmarkDataset):
    """GOT-10k: Huang, Zhao and Huang, "GOT-10k: A Large High-Diversity Benchmark", TPAMI 2019.

    Root setting ``got10k_path`` (the folder holding ``test/`` and ``val/``).
    """

    setting = "got10k_path"

    def __init__(self, root: PathLike | None = None, split: str = "test"):
        super().__init__(root)
        if split not in ("test", "val"):
            raise ValueError(f"GOT-10k split must be 'test' or 'val', got {split!r}")
        self.split = split
        self.name = f"got10k_{split}"

    @property
    def split_dir(self) -> Path:
        return self.root / self.split

    def sequence_names(self) -> list[str]:
        listing = self.split_dir / "list.txt"
        if listing.is_file():
            return [line.strip() for line in listing.read_text().splitlines() if line.strip()]
        if not self.split_dir.is_dir():
            raise FileNotFoundError(
                f"GOT-10k {self.split} split not found: {self.split_dir} (expected <got10k_path>/{self.split}/list.txt"
                f" and one folder per sequence; set PYTRACKING_GOT10K_PATH)"
            )
        return sorted(p.name for p in self.split_dir.iterdir() if (p / "groundtruth.txt").is_file())

    def required_files(self, name: str) -> list[Path]:
        d = self.split_dir / name
        return [d / "groundtruth.txt", d / "00000001.jpg"]

    def construct(self, name: str) -> Sequence:
        d = self.split_dir / name
        frames = sorted(str(p) for p in d.glob("*.jpg"))
        gt = read_annotation(d / "groundtruth.txt")[:, :4]
        visible = None
        absence = d / "absence.label"
        if absence.is_file():
            flags = [int(v) for v in absence.read_text().split()]
            visible = ~np.asarray(flags, dtype=bool)
        if self.split == "val" and len(gt) != len(frames):
            raise ValueError(f"GOT-10k val {name}: {len(gt)} boxes for {len(frames)} frames in {d}")
        return Sequence(name, frames, self.name, gt, target_visible=visible)
