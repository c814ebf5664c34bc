"""The contract every training dataset fulfils, so samplers can mix benchmarks without knowing their formats.

A dataset is a list of *sequences* (videos, or single images seen as one-frame videos). The sampler asks for
``get_sequence_info(seq_id)`` (per-frame boxes and visibility, to choose usable frames) and then for
``get_frames(seq_id, frame_ids)`` (decoded RGB images plus the annotations of exactly those frames, plus a small dict
describing the object). Readers only implement how to find sequences, read annotations and locate frame files; the
shared behaviour (validation of frame ids, per-frame slicing, deterministic subsets, annotation caching, class lookup)
lives here once.
"""

from __future__ import annotations

import os
import random
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ltr.data.image_loader import default_image_loader
from ltr.dataset.text_table import read_text_table

__all__ = [
    "BaseVideoDataset",
    "ImageLoader",
    "OBJECT_META_KEYS",
    "make_object_meta",
    "select_fraction",
    "natural_key",
    "read_text_table",
    "sequence_info_from_boxes",
]

ImageLoader = Callable[[str | os.PathLike], np.ndarray]
PathLike = str | os.PathLike

OBJECT_META_KEYS = ("object_class_name", "motion_class", "major_class", "root_class", "motion_adverb")


def make_object_meta(**fields: Any) -> dict[str, Any]:
    """Object description with every key of :data:`OBJECT_META_KEYS` present (None where the dataset has none).

    Extra keys are allowed (e.g. a language description) but the five standard keys always exist, so downstream code
    can index them without checking which dataset a sample came from.
    """
    meta: dict[str, Any] = dict.fromkeys(OBJECT_META_KEYS)
    meta.update(fields)
    return meta


def select_fraction(items: Sequence[Any], data_fraction: float | None, seed: int = 0) -> list[Any]:
    """Deterministic subset of ``items`` of size ``round(len * data_fraction)`` (at least 1), kept in original order.

    The subset depends only on ``(len(items), data_fraction, seed)``, so every worker, rank and rerun sees the same
    sequences. ``None`` or 1.0 returns all items.
    """
    items = list(items)
    if data_fraction is None:
        return items
    if not (0.0 < float(data_fraction) <= 1.0):
        raise ValueError(f"data_fraction must be in (0, 1], got {data_fraction!r}")
    if data_fraction == 1.0 or not items:
        return items
    k = max(1, int(round(len(items) * float(data_fraction))))
    chosen = sorted(random.Random(seed).sample(range(len(items)), k))
    return [items[i] for i in chosen]


_NUM_RE = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """Sort key treating digit runs as numbers ('seq-2' < 'seq-10'), so frame and sequence orders are human order."""
    return tuple(int(tok) if tok.isdigit() else tok.lower() for tok in _NUM_RE.split(text))


def sequence_info_from_boxes(
    bbox: torch.Tensor | np.ndarray, visible: torch.Tensor | np.ndarray | None = None
) -> dict[str, torch.Tensor]:
    """Build the standard info dict: ``bbox`` float32 [N,4] xywh, ``valid`` = finite & w>0 & h>0, ``visible``.

    ``visible`` (if given) is ANDed with ``valid``: a frame without a usable box is never a usable target.
    Non-finite boxes (NaN rows for out-of-view frames) are kept as given but marked invalid.
    """
    bbox = torch.as_tensor(np.asarray(bbox, dtype=np.float32)).reshape(-1, 4).clone()
    finite = torch.isfinite(bbox).all(dim=1)
    valid = finite & (bbox[:, 2] > 0) & (bbox[:, 3] > 0)
    if visible is None:
        vis = valid.clone()
    else:
        vis = torch.as_tensor(np.asarray(visible, dtype=bool)).reshape(-1)
        if vis.numel() != bbox.shape[0]:
            raise ValueError(f"visible has {vis.numel()} entries but there are {bbox.shape[0]} boxes")
        vis = vis & valid
    return {"bbox": bbox, "valid": valid, "visible": vis}


class BaseVideoDataset:
    """Base class of all sequence datasets (see module docstring for the contract).

    Subclasses set ``self.sequence_list`` (one entry per sequence, any type) in ``__init__`` and implement
    :meth:`_read_sequence_info` and :meth:`_frame_path` (or override :meth:`_load_frame` when frames are not files).
    Optionally they set ``self.class_list`` and implement :meth:`_sequence_class` for class information, and override
    :meth:`get_object_meta`.
    """

    #: How many sequences' annotations to keep in memory per process (each worker has its own cache).
    annotation_cache_size = 128

    def __init__(self, name: str, root: PathLike | None, image_loader: ImageLoader | None = None) -> None:
        self.name = name
        self.root = Path(root) if root is not None else None
        self.image_loader: ImageLoader = image_loader if image_loader is not None else default_image_loader
        self.sequence_list: list[Any] = []
        self.class_list: list[str] = []
        self._anno_cache: OrderedDict[int, dict[str, torch.Tensor]] = OrderedDict()
        self._seq_per_class: dict[str, list[int]] | None = None

    # ---------------------------------------------------------------------------------------------- description
    def __len__(self) -> int:
        return self.get_num_sequences()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, root={str(self.root)!r}, sequences={len(self)})"

    def get_name(self) -> str:
        return self.name

    def is_video_sequence(self) -> bool:
        """True for real videos; image datasets (one frame per 'sequence') return False."""
        return True

    def has_class_info(self) -> bool:
        return False

    def has_occlusion_info(self) -> bool:
        """True when ``visible`` carries real occlusion / out-of-view information (not just box validity)."""
        return False

    def get_num_sequences(self) -> int:
        return len(self.sequence_list)

    def get_num_classes(self) -> int:
        return len(self.class_list)

    def get_class_list(self) -> list[str]:
        return list(self.class_list)

    def get_sequence_name(self, seq_id: int) -> str:
        return str(self.sequence_list[self._check_seq_id(seq_id)])

    def get_sequences_in_class(self, class_name: str) -> list[int]:
        """Sequence ids whose object class is ``class_name`` (KeyError naming the class if it is unknown)."""
        if not self.has_class_info():
            raise NotImplementedError(f"dataset {self.name!r} has no class information")
        if self._seq_per_class is None:
            per_class: dict[str, list[int]] = {c: [] for c in self.class_list}
            for i in range(self.get_num_sequences()):
                per_class.setdefault(self._sequence_class(i), []).append(i)
            self._seq_per_class = per_class
        if class_name not in self._seq_per_class:
            raise KeyError(f"class {class_name!r} not in dataset {self.name!r} (classes: {self.get_class_list()})")
        return list(self._seq_per_class[class_name])

    def _sequence_class(self, seq_id: int) -> str:
        """Class name of a sequence; readers with class info override this (default: object meta's class)."""
        name = self.get_object_meta(seq_id)["object_class_name"]
        if name is None:
            raise NotImplementedError(f"dataset {self.name!r} has no class information")
        return name

    # ---------------------------------------------------------------------------------------------- annotations
    def get_sequence_info(self, seq_id: int) -> dict[str, torch.Tensor]:
        """Per-frame annotations of a sequence: ``bbox`` [N,4] xywh float32, ``valid`` and ``visible`` [N] bool,
        plus reader-specific keys (e.g. ``visible_ratio``). Returned tensors are fresh copies the caller may modify.
        """
        seq_id = self._check_seq_id(seq_id)
        info = self._anno_cache.get(seq_id)
        if info is None:
            info = self._read_sequence_info(seq_id)
            self._anno_cache[seq_id] = info
            while len(self._anno_cache) > self.annotation_cache_size:
                self._anno_cache.popitem(last=False)
        else:
            self._anno_cache.move_to_end(seq_id)
        return {k: v.clone() if isinstance(v, torch.Tensor) else v for k, v in info.items()}

    def _read_sequence_info(self, seq_id: int) -> dict[str, torch.Tensor]:
        raise NotImplementedError

    def get_num_frames(self, seq_id: int) -> int:
        return int(self.get_sequence_info(seq_id)["bbox"].shape[0])

    def get_object_meta(self, seq_id: int) -> dict[str, Any]:
        """Description of the tracked object (all :data:`OBJECT_META_KEYS`, None where unknown)."""
        return make_object_meta()

    # ---------------------------------------------------------------------------------------------- frames
    def _frame_path(self, seq_id: int, frame_id: int) -> Path:
        raise NotImplementedError

    def _load_frame(self, seq_id: int, frame_id: int) -> np.ndarray:
        return self.image_loader(self._frame_path(seq_id, frame_id))

    def get_frames(
        self, seq_id: int, frame_ids: Iterable[int], anno: dict[str, Any] | None = None
    ) -> tuple[list[np.ndarray], dict[str, list[Any]], dict[str, Any]]:
        """Decode the requested frames and slice the annotations to them.

        Returns ``(frames, frame_anno, object_meta)``: ``frames`` a list of HxWx3 uint8 RGB arrays (one per id, in
        the order given; repeated ids give separate copies), ``frame_anno`` maps every annotation key to a list with
        one value per requested frame, ``object_meta`` as :meth:`get_object_meta`. ``anno`` may be passed to reuse a
        ``get_sequence_info`` result (the sampler already has it).
        """
        seq_id = self._check_seq_id(seq_id)
        ids = [int(f) for f in frame_ids]
        if anno is None:
            anno = self.get_sequence_info(seq_id)
        num_frames = int(anno["bbox"].shape[0])
        for f in ids:
            if not 0 <= f < num_frames:
                raise IndexError(
                    f"frame id {f} out of range for sequence {seq_id} ({self.get_sequence_name(seq_id)!r}) of "
                    f"dataset {self.name!r} with {num_frames} frames"
                )
        decoded: dict[int, np.ndarray] = {}
        frames = []
        for f in ids:
            if f in decoded:
                frames.append(decoded[f].copy())
            else:
                decoded[f] = self._load_frame(seq_id, f)
                frames.append(decoded[f])
        frame_anno = {key: [_per_frame(value, f) for f in ids] for key, value in anno.items()}
        return frames, frame_anno, self.get_object_meta(seq_id)

    # ---------------------------------------------------------------------------------------------- helpers
    def _require_root_dir(self, label: str, expected: str | None = None) -> None:
        """Fail at construction, naming the dataset and its expected layout, when ``root`` is not a folder."""
        if self.root is None or not self.root.is_dir():
            hint = f" (expected {expected})" if expected else ""
            raise FileNotFoundError(f"{label} root '{self.root}' is not a directory{hint}")

    def _check_seq_id(self, seq_id: int) -> int:
        n = self.get_num_sequences()
        try:
            idx = int(seq_id)
        except (TypeError, ValueError):
            raise TypeError(f"sequence id must be an integer, got {seq_id!r}") from None
        if not 0 <= idx < n:
            raise IndexError(f"sequence id {idx} out of range for dataset {self.name!r} with {n} sequences")
        return idx


def _per_frame(value: Any, frame_id: int) -> Any:
    if isinstance(value, torch.Tensor):
        return value[frame_id].clone()
    if isinstance(value, np.ndarray):
        return value[frame_id].copy()
    return value[frame_id]
