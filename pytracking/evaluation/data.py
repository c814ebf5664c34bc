"""Evaluation sequences: what a tracker is run on and what its results are scored against.

A :class:`Sequence` is a named list of frames (image file paths, or an in-memory frame reader for generated data)
with its ground truth in ``[x, y, w, h]`` pixels. A :class:`SequenceList` is the ordered collection a dataset
descriptor returns; it can be indexed by position, name or slice so ``--sequence Couple`` and ``--sequence 3`` both
work. :class:`BenchmarkDataset` is the base every descriptor derives from: it owns the missing-file check, so a
benchmark that is only partly on disk is reported once, by name, instead of failing frame by frame later.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from collections.abc import Sequence as SequenceABC
from pathlib import Path
from typing import Any, overload

import numpy as np

from ltr.admin.errors import UserError
from ltr.dataset.text_table import read_text_table

__all__ = [
    "Sequence",
    "SequenceList",
    "BenchmarkDataset",
    "MissingSequencesError",
    "UnknownSequenceError",
    "read_annotation",
    "polygon_to_box",
]

PathLike = str | Path


class MissingSequencesError(UserError, FileNotFoundError):
    """Some sequences of a dataset are not on disk. ``missing`` maps sequence name -> first absent file."""

    def __init__(self, dataset: str, root: PathLike, missing: dict[str, str], total: int):
        self.dataset = dataset
        self.root = str(root)
        self.missing = dict(missing)
        names = ", ".join(self.missing)
        first = next(iter(self.missing.items()))
        super().__init__(
            f"dataset '{dataset}' at {root}: {len(self.missing)} of {total} sequences are missing files: {names}. "
            f"(e.g. {first[0]}: {first[1]} not found). Point the dataset path at the full benchmark, select "
            f"sequences explicitly (--sequence / sequences=[...]), or pass allow_missing=True (--allow-missing) "
            f"to run the available subset."
        )


class UnknownSequenceError(UserError, KeyError):
    """A requested sequence name/index does not exist in the dataset."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0]) if self.args else ""


def read_annotation(path: PathLike, min_cols: int = 4) -> np.ndarray:
    """Read a benchmark annotation file into a float64 array ``[N, C]``.

    Benchmarks mix delimiters (OTB uses commas, tabs and spaces, sometimes within one file), may lack the trailing
    newline and may contain ``NaN`` rows (UAV123). Every non-empty line is split on any run of commas, semicolons or
    whitespace; all lines must have the same number of values (at least ``min_cols``). Raises ``ValueError`` naming
    the file and line on malformed input, ``FileNotFoundError`` if the file is absent.
    """
    return read_text_table(Path(path), dtype=np.float64, min_cols=min_cols)


def polygon_to_box(polygons: np.ndarray) -> np.ndarray:
    """Axis-aligned ``[x, y, w, h]`` boxes enclosing polygons ``[N, 2K]`` (x1, y1, x2, y2, ...).

    VOT annotates rotated rectangles as 4-corner polygons; an axis-aligned tracker is initialised with the smallest
    box containing all corners: ``x = min(xs)``, ``y = min(ys)``, ``w = max(xs) - min(xs)``,
    ``h = max(ys) - min(ys)``. Rows that are already 4-value boxes are returned unchanged; NaN rows stay NaN.
    """
    polygons = np.asarray(polygons, dtype=np.float64)
    if polygons.ndim != 2:
        raise ValueError(f"polygons must be 2-D [N, 2K], got shape {polygons.shape}")
    if polygons.shape[1] == 4:
        return polygons.copy()
    if polygons.shape[1] < 6 or polygons.shape[1] % 2:
        raise ValueError(f"polygon rows need an even number >= 6 of values, got {polygons.shape[1]}")
    xs = polygons[:, 0::2]
    ys = polygons[:, 1::2]
    x0, y0 = xs.min(axis=1), ys.min(axis=1)
    return np.stack([x0, y0, xs.max(axis=1) - x0, ys.max(axis=1) - y0], axis=1)


class Sequence:
    """One evaluation video.

    Args:
        name: unique name within its dataset (used for result file names).
        frames: image file paths in tracking order (frame 0 is the initialisation frame).
        dataset: short dataset name ('otb', 'uav', ...).
        ground_truth_rect: ``[N, 4]`` boxes ``[x, y, w, h]`` (float pixels, NaN where unannotated). Test splits that
            only publish the first box (GOT-10k test, TrackingNet) pass a ``[1, 4]`` array.
        init_data: optional explicit initialisation, ``{'init_bbox': [x, y, w, h]}``; defaults to the first GT box.
        object_class: optional class label of the target.
        target_visible: optional boolean ``[N]`` (LaSOT absence flags, GOT-10k ``absence.label``).
        frame_reader: optional ``f(index) -> HxWx3 uint8 RGB`` used instead of reading ``frames[index]`` from disk
            (generated datasets); it must be picklable to run in a process pool.
    """

    def __init__(
        self,
        name: str,
        frames: SequenceABC[str],
        dataset: str,
        ground_truth_rect: np.ndarray | None,
        init_data: dict[str, Any] | None = None,
        object_class: str | None = None,
        target_visible: np.ndarray | None = None,
        *,
        frame_reader: Callable[[int], np.ndarray] | None = None,
    ):
        self.name = name
        self.frames = [str(f) for f in frames]
        self.dataset = dataset
        self.ground_truth_rect = None if ground_truth_rect is None else np.asarray(ground_truth_rect, np.float64)
        if self.ground_truth_rect is not None and self.ground_truth_rect.ndim == 1:
            self.ground_truth_rect = self.ground_truth_rect.reshape(1, -1)
        self.init_data = dict(init_data) if init_data else None
        self.object_class = object_class
        self.target_visible = None if target_visible is None else np.asarray(target_visible, dtype=bool)
        self.frame_reader = frame_reader

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"Sequence({self.name!r}, dataset={self.dataset!r}, frames={len(self.frames)})"

    def init_info(self) -> dict[str, Any]:
        """Initialisation data for the tracker: ``{'init_bbox': [x, y, w, h]}`` (floats)."""
        if self.init_data is not None:
            info = dict(self.init_data)
            if "init_bbox" in info:
                info["init_bbox"] = [float(v) for v in info["init_bbox"]]
            return info
        if self.ground_truth_rect is None or len(self.ground_truth_rect) == 0:
            raise ValueError(f"sequence {self.name!r} ({self.dataset}) has no ground truth to initialise from")
        box = [float(v) for v in self.ground_truth_rect[0, :4]]
        if any(math.isnan(v) for v in box) or box[2] <= 0 or box[3] <= 0:
            raise ValueError(f"sequence {self.name!r} ({self.dataset}): first ground-truth box {box} is not valid")
        return {"init_bbox": box}

    def read_frame(self, index: int) -> np.ndarray:
        """Frame ``index`` as an HxWx3 uint8 RGB array."""
        if self.frame_reader is not None:
            return self.frame_reader(index)
        from ltr.data.image_loader import default_image_loader  # heavy decoders load only when frames are read

        return default_image_loader(self.frames[index])


class SequenceList(list):
    """A list of :class:`Sequence` that can also be indexed by sequence name, by a list of names, or by slice."""

    @overload
    def __getitem__(self, item: int | str) -> Sequence: ...

    @overload
    def __getitem__(self, item: slice | list) -> SequenceList: ...

    def __getitem__(self, item):
        if isinstance(item, str):
            for seq in self:
                if seq.name == item:
                    return seq
            raise UnknownSequenceError(f"sequence {item!r} not in list (names: {', '.join(self.names()[:20])}...)")
        if isinstance(item, slice):
            return SequenceList(super().__getitem__(item))
        if isinstance(item, list | tuple):
            return SequenceList(self[i] for i in item)
        return super().__getitem__(item)

    def __add__(self, other: Iterable[Sequence]) -> SequenceList:
        return SequenceList(list(self) + list(other))

    def names(self) -> list[str]:
        return [seq.name for seq in self]


def select(items: list[str], requested: Iterable[str | int] | None, dataset: str) -> list[str]:
    """Pick ``requested`` (names or integer positions) out of ``items`` keeping the request order.

    Unknown names/indices raise :class:`UnknownSequenceError` listing all of them at once.
    """
    if requested is None:
        return list(items)
    out: list[str] = []
    bad: list[str] = []
    for req in requested:
        if isinstance(req, int) or (isinstance(req, str) and req.lstrip("-").isdigit() and req not in items):
            idx = int(req)
            if -len(items) <= idx < len(items):
                out.append(items[idx])
            else:
                bad.append(f"#{idx}")
        elif req in items:
            out.append(req)
        else:
            bad.append(str(req))
    if bad:
        raise UnknownSequenceError(
            f"dataset '{dataset}' has no sequence(s) {', '.join(bad)} ({len(items)} sequences, e.g. "
            f"{', '.join(items[:5])})"
        )
    return out


class BenchmarkDataset:
    """Base class of dataset descriptors.

    Subclasses set ``name``, implement :meth:`sequence_names`, :meth:`construct` (build one :class:`Sequence`) and
    :meth:`required_files` (the files whose absence means the sequence is not on disk: the annotation and the first
    and last frame, so the check stays cheap on benchmarks with 100k frames).
    """

    name = "dataset"
    setting = ""  # name of the TrackingSettings attribute holding the root, e.g. 'otb_path'

    def __init__(self, root: PathLike | None = None):
        if root is None:
            from pytracking.evaluation.environment import env_settings

            root = env_settings().require(self.setting)
        self.root = Path(root)

    def sequence_names(self) -> list[str]:
        raise NotImplementedError

    def construct(self, name: str) -> Sequence:
        raise NotImplementedError

    def required_files(self, name: str) -> list[Path]:
        raise NotImplementedError

    def missing_file(self, name: str) -> Path | None:
        for path in self.required_files(name):
            if not path.exists():
                return path
        return None

    def get_sequence_list(
        self,
        sequences: Iterable[str | int] | None = None,
        allow_missing: bool = False,
        report: Callable[[str], None] | None = print,
    ) -> SequenceList:
        """Build the sequences (all, or the requested ones) after checking they are on disk.

        Missing sequences raise one :class:`MissingSequencesError` naming all of them, unless ``allow_missing`` is
        set, in which case they are skipped and the skipped names are passed to ``report`` (never silently).
        """
        if not self.root.is_dir():
            env = f" (setting {self.setting}, env var PYTRACKING_{self.setting.upper()})" if self.setting else ""
            raise FileNotFoundError(f"dataset '{self.name}' folder not found: {self.root}{env}")
        names = select(self.sequence_names(), sequences, self.name)
        missing: dict[str, str] = {}
        for name in names:
            absent = self.missing_file(name)
            if absent is not None:
                missing[name] = str(absent)
        if missing:
            if not allow_missing:
                raise MissingSequencesError(self.name, self.root, missing, len(names))
            if report is not None:
                report(
                    f"[{self.name}] skipping {len(missing)} of {len(names)} sequences not found under {self.root}: "
                    f"{', '.join(missing)}"
                )
        return SequenceList(self.construct(n) for n in names if n not in missing)


def frame_paths(directory: Path, start: int, end: int, digits: int, ext: str) -> list[str]:
    """``directory/<start:0{digits}d>.<ext>`` ... ``<end>`` inclusive (1-based benchmark frame numbers)."""
    return [str(directory / f"{i:0{digits}d}.{ext}") for i in range(start, end + 1)]
