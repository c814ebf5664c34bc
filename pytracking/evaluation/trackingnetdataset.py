"""TrackingNet test-set descriptor.

Layout (as released): ``<trackingnet_path>/TEST/frames/<seq>/<n>.jpg`` with ``n`` counting from 0 without padding,
and ``<trackingnet_path>/TEST/anno/<seq>.txt`` holding only the first box (``x,y,w,h``); results are scored by the
evaluation server. Other chunks (``TRAIN_0`` ...) can be selected with ``sets=``.
"""

from __future__ import annotations

from pathlib import Path

from pytracking.evaluation.data import BenchmarkDataset, PathLike, Sequence, read_annotation

__all__ = ["TrackingNetDataset"]


class TrackingNetDataset(BenchmarkDataset):
    """TrackingNet: Müller et al., "TrackingNet: A Large-Scale Dataset and Benchmark", ECCV 2018.

    Root setting ``trackingnet_path``. Sequence names are ``<seq>`` for the TEST set and ``<set>/<seq>`` otherwise.
    """

    name = "trackingnet"
    setting = "trackingnet_path"

    def __init__(self, root: PathLike | None = None, sets: tuple[str, ...] = ("TEST",)):
        super().__init__(root)
        self.sets = tuple(sets)

    def _split(self, name: str) -> tuple[str, str]:
        if "/" in name:
            set_name, seq = name.split("/", 1)
            return set_name, seq
        return "TEST", name

    def sequence_names(self) -> list[str]:
        names: list[str] = []
        for set_name in self.sets:
            anno_dir = self.root / set_name / "anno"
            if not anno_dir.is_dir():
                raise FileNotFoundError(
                    f"TrackingNet set {set_name} not found: {anno_dir} (expected <trackingnet_path>/{set_name}/anno "
                    f"and .../frames; set PYTRACKING_TRACKINGNET_PATH)"
                )
            seqs = sorted(p.stem for p in anno_dir.glob("*.txt"))
            names += seqs if set_name == "TEST" else [f"{set_name}/{s}" for s in seqs]
        return names

    def required_files(self, name: str) -> list[Path]:
        set_name, seq = self._split(name)
        return [self.root / set_name / "anno" / f"{seq}.txt", self.root / set_name / "frames" / seq / "0.jpg"]

    def construct(self, name: str) -> Sequence:
        set_name, seq = self._split(name)
        frame_dir = self.root / set_name / "frames" / seq
        frames = sorted(frame_dir.glob("*.jpg"), key=lambda p: int(p.stem))
        gt = read_annotation(self.root / set_name / "anno" / f"{seq}.txt")[:, :4]
        return Sequence(name.replace("/", "_"), [str(f) for f in frames], self.name, gt)
