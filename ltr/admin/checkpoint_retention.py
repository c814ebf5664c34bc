"""Checkpoint retention: keep the newest N checkpoints plus every K-th epoch, and delete nothing else.

Why: one checkpoint per epoch is the field's habit (every epoch can be evaluated later), but ATOM's 50 epochs of a
ResNet-50 setup fill a laptop disk. The default keeps the last 3 (resume, a look back) and every 10th epoch (a sweep
over the run still has points); ``--keep-all`` restores keep-everything.

What may be deleted: only checkpoints that the trainer itself wrote while a retention policy was active. Each such
write is recorded in ``<checkpoint_dir>/.ltr_retention.json`` with the file's size and modification time; a
checkpoint that is not recorded (written with ``--keep-all``, by an older version, copied in by the user) or whose
file changed since (replaced, touched) is never deleted, nor is a symbolic link. The newest checkpoint is always
kept (``keep_last`` >= 1): resume needs it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ltr.admin.atomic_io import atomic_write_text
from ltr.admin.checkpoint import list_checkpoints

__all__ = ["RetentionPolicy", "MANIFEST_NAME", "record_checkpoint", "apply_retention", "DEFAULT_KEEP_LAST",
           "DEFAULT_KEEP_EVERY"]

logger = logging.getLogger("ltr.trainers")

MANIFEST_NAME = ".ltr_retention.json"
DEFAULT_KEEP_LAST = 3
DEFAULT_KEEP_EVERY = 10


@dataclass(frozen=True)
class RetentionPolicy:
    """``keep_last`` newest checkpoints (None: keep every checkpoint), every ``keep_every``-th epoch (None/0: none),
    and the epochs in ``keep_epochs``."""

    keep_last: int | None = DEFAULT_KEEP_LAST
    keep_every: int | None = DEFAULT_KEEP_EVERY
    keep_epochs: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.keep_last is not None and int(self.keep_last) < 1:
            raise ValueError(f"checkpoint_keep_last must be >= 1 (the newest checkpoint is needed to resume) or None "
                             f"to keep all, got {self.keep_last}")
        if self.keep_every is not None and int(self.keep_every) < 0:
            raise ValueError(f"checkpoint_keep_every must be >= 0, got {self.keep_every}")

    @property
    def keep_all(self) -> bool:
        return self.keep_last is None

    @classmethod
    def from_settings(cls, settings: Any) -> RetentionPolicy:
        """The policy of a :class:`ltr.admin.settings.Settings` (its ``checkpoint_keep_*`` fields)."""
        return cls(settings.checkpoint_keep_last, settings.checkpoint_keep_every,
                   tuple(int(e) for e in (settings.checkpoint_keep_epochs or ())))

    def protected(self, epochs: Iterable[int]) -> set[int]:
        """The epochs (of those present) this policy keeps."""
        present = sorted(set(int(e) for e in epochs))
        if self.keep_all:
            return set(present)
        keep = set(present[-int(self.keep_last):]) | set(self.keep_epochs)
        if self.keep_every:
            keep |= {e for e in present if e % int(self.keep_every) == 0}
        return keep & set(present)

    def describe(self) -> str:
        if self.keep_all:
            return "keeping every checkpoint"
        parts = [f"the last {self.keep_last}"]
        if self.keep_every:
            parts.append(f"every {self.keep_every}th epoch")
        if self.keep_epochs:
            parts.append(f"epochs {', '.join(str(e) for e in sorted(self.keep_epochs))}")
        return "keeping " + " and ".join(parts) + " (--keep-all keeps every checkpoint)"


def _manifest_path(directory: Path) -> Path:
    return Path(directory) / MANIFEST_NAME


def _read_manifest(directory: Path) -> dict[str, dict[str, list[int]]]:
    path = _manifest_path(directory)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        # Unreadable record: treat every checkpoint as unrecorded, i.e. delete nothing (the safe direction).
        logger.warning("Ignoring unreadable checkpoint retention record %s (%s); no checkpoint will be deleted",
                       path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def _signature(path: Path) -> list[int]:
    st = path.stat()
    return [int(st.st_size), int(st.st_mtime_ns)]


def record_checkpoint(directory: str | Path, net_type: str, epoch: int, path: str | Path) -> None:
    """Note that the trainer wrote ``path`` (epoch ``epoch``) under a retention policy: it may be pruned later."""
    directory = Path(directory)
    manifest = _read_manifest(directory)
    manifest.setdefault(net_type, {})[str(int(epoch))] = _signature(Path(path))
    atomic_write_text(_manifest_path(directory), json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def apply_retention(directory: str | Path, net_type: str, policy: RetentionPolicy) -> list[Path]:
    """Delete the recorded, unchanged checkpoints of ``net_type`` that ``policy`` does not keep; returns them."""
    if policy.keep_all:
        return []
    directory = Path(directory)
    found = list_checkpoints(directory, net_type)
    keep = policy.protected(e for e, _ in found)
    manifest = _read_manifest(directory)
    recorded = manifest.get(net_type, {})
    removed = []
    for epoch, path in found:
        if epoch in keep or path.is_symlink():
            continue
        signature = recorded.get(str(epoch))
        if signature is None or list(signature) != _signature(path):
            continue  # not written by a retention run, or changed since: not ours to delete
        path.unlink()
        recorded.pop(str(epoch), None)
        removed.append(path)
    if removed:
        atomic_write_text(_manifest_path(directory), json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return removed
