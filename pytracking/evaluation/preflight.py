"""Checks done once, up front, before any sequence is tracked (``run_tracker``, ``run_sweep``, ``run_demo``).

Why: a missing network, an unknown parameter set or a missing frame otherwise fails every sequence separately (one
traceback each, possibly in worker processes, after hours of work on the others). Here each problem is reported once,
as one :class:`~ltr.admin.errors.UserError` naming the file, the setting or the name (with what exists instead):

- tracker and parameter names (:func:`check_tracker`, with the tracker registry's discovery), which also builds
  the parameters;
- every network file the parameters name (``net_path`` on the parameters, their ``features`` or ``net``): it exists
  (searched as the tracker would: as given, then under the ``network_path`` setting), is readable and is a network
  checkpoint whose weights pass the integrity and finiteness checks (:func:`ltr.admin.loading.verify_network_file`);
- every frame file of each selected sequence (existence only; one directory listing per folder, so it is cheap even
  for LaSOT): :func:`check_frames`;
- the results folder can be created and written (:func:`ltr.admin.output_dirs.ensure_output_dir`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ltr.admin.output_dirs import ensure_output_dir
from pytracking.evaluation import registry
from pytracking.evaluation.data import MissingSequencesError, Sequence
from pytracking.evaluation.tracker import Tracker

__all__ = ["preflight", "check_tracker", "network_paths", "network_files", "verify_onnx_file", "check_frames",
           "check_results_dir", "RESULTS_SETTING"]

RESULTS_SETTING = "results_path (PYTRACKING_RESULTS_PATH)"


def network_paths(params: Any) -> list[str]:
    """The network files a parameter object will load: ``net_path`` of ``params.features`` / ``params.net`` when that
    object has no network loaded yet; ``params.net_path`` when neither object has a ``net_path`` of its own (a
    parameter object built around an in-memory network names none)."""
    owners = [o for o in (getattr(params, "features", None), getattr(params, "net", None))
              if o is not None and hasattr(o, "net_path")]
    if not owners:
        value = getattr(params, "net_path", None)
        return [str(value)] if isinstance(value, str | os.PathLike) else []
    found: list[str] = []
    for owner in owners:
        value = owner.net_path
        if isinstance(value, str | os.PathLike) and getattr(owner, "net", None) is None and str(value) not in found:
            found.append(str(value))
    return found


def network_files(params: Any) -> list[tuple[str, str]]:
    """``(path, kind)`` of every file tracking will read, kind ``'checkpoint'`` or ``'onnx'``: what the parameters
    declare (``params.network_files()``, e.g. OSTrack's onnxruntime backend reads only its exported file), else
    :func:`network_paths` as checkpoints."""
    declared = getattr(params, "network_files", None)
    if callable(declared):
        return list(declared())
    return [(path, "checkpoint") for path in network_paths(params)]


def verify_onnx_file(path: Path) -> Path:
    """An exported network must be a readable, non-empty file (onnxruntime reports anything deeper when it loads it);
    raises ``FileNotFoundError`` / ``ValueError`` naming the file."""
    if not path.is_file():
        raise FileNotFoundError(f"ONNX file {path} is not a file")
    with open(path, "rb") as fh:
        if not fh.read(1):
            raise ValueError(f"ONNX file {path} is empty (export it again: `python -m pytracking.export ... --force`)")
    return path


def check_tracker(tracker: Tracker) -> Any:
    """Resolve the tracker class and its parameters (names checked against the tracker registry, networks found and
    verified); returns the parameters."""
    registry.check_tracker(tracker.name, tracker.parameter_name)
    tracker.tracker_class()
    params = tracker.get_parameters()
    files = network_files(params)
    if files:
        from ltr.admin.loading import verify_network_file
        from pytracking.features.extractors import resolve_network_path

        for path, kind in files:
            resolved = resolve_network_path(path)
            if kind == "onnx":
                verify_onnx_file(resolved)
            else:
                verify_network_file(resolved)
    return params


def _listing(directory: str, cache: dict[str, set[str] | None]) -> set[str] | None:
    if directory not in cache:
        try:
            cache[directory] = set(os.listdir(directory))
        except OSError:
            cache[directory] = None
    return cache[directory]


def check_frames(sequences: Iterable[Sequence], allow_missing: bool = False,
                 log: Callable[[str], None] = print) -> list[Sequence]:
    """Sequences whose frame files all exist. A sequence with absent frames raises one
    :class:`MissingSequencesError` naming every such sequence and its first absent frame, or with ``allow_missing``
    is dropped and listed."""
    sequences = list(sequences)
    cache: dict[str, set[str] | None] = {}
    missing: dict[str, str] = {}
    for seq in sequences:
        if seq.frame_reader is not None:
            continue  # generated frames
        absent = []
        for frame in seq.frames:
            names = _listing(os.path.dirname(frame) or ".", cache)
            if names is None or os.path.basename(frame) not in names:
                absent.append(frame)
        if absent:
            more = f" and {len(absent) - 1} more of its {len(seq.frames)} frames" if len(absent) > 1 else ""
            missing[seq.name] = f"{absent[0]}{more}"
    if not missing:
        return sequences
    dataset = sequences[0].dataset if sequences else "?"
    root = os.path.commonpath([os.path.dirname(seq.frames[0]) for seq in sequences if seq.frames]) if sequences else ""
    if not allow_missing:
        raise MissingSequencesError(dataset, root, missing, len(sequences))
    log(f"[{dataset}] skipping {len(missing)} of {len(sequences)} sequences with missing frame files: "
        + "; ".join(f"{name}: {first}" for name, first in missing.items()))
    return [seq for seq in sequences if seq.name not in missing]


def check_results_dir(tracker: Tracker) -> Path:
    """Create the tracker's results folder (or fail naming the setting) before the first frame."""
    return ensure_output_dir(tracker.results_dir, RESULTS_SETTING)


def preflight(trackers: Iterable[Tracker], sequences: Iterable[Sequence], allow_missing: bool = False,
              log: Callable[[str], None] = print, check_trackers: bool = True) -> list[Sequence]:
    """All up-front checks (module docstring); returns the sequences to run. ``check_trackers=False`` skips
    :func:`check_tracker` for callers that ran it already."""
    trackers = list(trackers)
    for tracker in trackers if check_trackers else ():
        check_tracker(tracker)
    kept = check_frames(sequences, allow_missing=allow_missing, log=log)
    for tracker in trackers:
        check_results_dir(tracker)
    return kept
