"""A deterministic validation hold-out carved out of the training datasets, and the sequence-subset view it needs.

Why: the published ATOM setup validates on GOT-10k's vot-val split, whose list file is not distributed with the data.
Without it (or without GOT-10k) training still deserves a validation curve, taken from data the user has and never
trained on. :func:`split_holdout` puts a sequence in the hold-out when the SHA-1 of ``"<dataset>/<sequence name>"``,
read as an integer, modulo 10000 is below ``fraction * 10000``: the choice depends only on the names (not on the
listing order, the machine or the seed), so every rank and every rerun holds out the same sequences. A dataset with
at least two sequences but none selected holds out its single lowest-hashed sequence; a dataset with one sequence
holds out nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

__all__ = ["SequenceSubset", "split_holdout", "holdout_key"]


def holdout_key(dataset_name: str, sequence_name: str) -> int:
    """The stable number deciding a sequence's membership (see module docstring)."""
    return int(hashlib.sha1(f"{dataset_name}/{sequence_name}".encode()).hexdigest(), 16) % 10000


class SequenceSubset:
    """The sequences ``seq_ids`` of ``base`` as a dataset of their own (the interface samplers use)."""

    def __init__(self, base: Any, seq_ids: Sequence[int], role: str) -> None:
        self.base = base
        self.seq_ids = [int(i) for i in seq_ids]
        self.role = role

    def __len__(self) -> int:
        return len(self.seq_ids)

    def __repr__(self) -> str:
        return f"SequenceSubset({self.get_name()!r}, {len(self.seq_ids)} of {self.base.get_num_sequences()})"

    def get_name(self) -> str:
        return f"{self.base.get_name()}[{self.role}]"

    def is_video_sequence(self) -> bool:
        return self.base.is_video_sequence()

    def has_class_info(self) -> bool:
        return self.base.has_class_info()

    def has_occlusion_info(self) -> bool:
        return self.base.has_occlusion_info()

    def get_num_sequences(self) -> int:
        return len(self.seq_ids)

    def get_sequence_name(self, seq_id: int) -> str:
        return self.base.get_sequence_name(self.seq_ids[seq_id])

    def get_sequence_info(self, seq_id: int) -> Any:
        return self.base.get_sequence_info(self.seq_ids[seq_id])

    def get_num_frames(self, seq_id: int) -> int:
        return self.base.get_num_frames(self.seq_ids[seq_id])

    def get_object_meta(self, seq_id: int) -> Any:
        return self.base.get_object_meta(self.seq_ids[seq_id])

    def get_frames(self, seq_id: int, frame_ids: Any, anno: Any = None) -> Any:
        return self.base.get_frames(self.seq_ids[seq_id], frame_ids, anno)


def split_holdout(dataset: Any, fraction: float) -> tuple[SequenceSubset, SequenceSubset | None]:
    """``(training part, held-out part or None)`` of ``dataset`` (module docstring)."""
    if not 0.0 <= float(fraction) < 1.0:
        raise ValueError(f"val_holdout_fraction must be in [0, 1), got {fraction!r}")
    n = dataset.get_num_sequences()
    name = dataset.get_name()
    keys = [holdout_key(name, dataset.get_sequence_name(i)) for i in range(n)]
    held = [i for i, k in enumerate(keys) if k < round(float(fraction) * 10000)]
    if not held and fraction > 0 and n >= 2:
        held = [min(range(n), key=lambda i: keys[i])]
    if not held:
        return SequenceSubset(dataset, range(n), "train"), None
    chosen = set(held)
    return (SequenceSubset(dataset, [i for i in range(n) if i not in chosen], "train"),
            SequenceSubset(dataset, held, "val"))
