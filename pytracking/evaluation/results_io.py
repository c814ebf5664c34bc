"""Result files: the format existing tracking tools read, written so that a crash never leaves a half result.

``<results_path>/<tracker>/<param>[_<runid:03d>]/<dataset>/<seq>.txt``: one sub-folder per dataset (``otb``,
``uav10fps``, ``lasot``, ...), so a parameter set run on several benchmarks never mixes their files (UAV123 and
UAV123@10fps even share sequence names). Results written before this layout, directly in
``<tracker>/<param>[_<runid:03d>]/``, are still read (and count as done for skip-existing): :func:`find_box_file`
looks in the dataset sub-folder first, then in the run folder itself.

``<seq>.txt``: one line per frame, ``x<TAB>y<TAB>w<TAB>h``; integers by default (rounded to the nearest pixel, what
the established analysis tools and published raw results use), or the full float precision with ``save_float=True``.
``<seq>_time.txt``: one line per frame, the tracker's seconds for that frame (frame 0: initialisation).

Both files are written with :mod:`ltr.admin.atomic_io` (temp file + fsync + rename). The time file is written
first and the box file last: the box file's existence is what marks a sequence as done (``result_exists``), so a
run killed between the two leaves no box file and the sequence is simply re-run.
"""

from __future__ import annotations

from collections.abc import Sequence as SequenceABC
from pathlib import Path

import numpy as np

from ltr.admin.atomic_io import atomic_write_text

__all__ = [
    "results_dir_for",
    "dataset_folder",
    "sequence_dir",
    "find_box_file",
    "resolve_run_dir",
    "box_file",
    "time_file",
    "result_exists",
    "format_boxes",
    "format_times",
    "save_sequence_result",
    "read_boxes",
    "read_times",
]

PathLike = str | Path


def results_dir_for(results_path: PathLike, tracker_name: str, parameter_name: str, run_id: int | None = None) -> Path:
    """``<results_path>/<tracker>/<param>`` or ``.../<param>_<runid:03d>`` when a run id is given."""
    folder = parameter_name if run_id is None else f"{parameter_name}_{int(run_id):03d}"
    return Path(results_path) / tracker_name / folder


def dataset_folder(dataset: str) -> str:
    """The results sub-folder of a dataset: its name with anything but letters, digits, ``-``, ``_``, ``.`` as ``_``."""
    import re

    return re.sub(r"[^A-Za-z0-9_.-]", "_", str(dataset)) or "dataset"


def sequence_dir(results_dir: PathLike, dataset: str | None) -> Path:
    """Where new results of ``dataset`` go: ``<results_dir>/<dataset>`` (``results_dir`` itself without a dataset)."""
    return Path(results_dir) / dataset_folder(dataset) if dataset else Path(results_dir)


def find_box_file(results_dir: PathLike, seq_name: str, dataset: str | None = None) -> Path | None:
    """The existing box file of a sequence: ``<results_dir>/<dataset>/<seq>.txt``, else the older layout
    ``<results_dir>/<seq>.txt``; None when neither exists."""
    for folder in ([sequence_dir(results_dir, dataset)] if dataset else []) + [Path(results_dir)]:
        if box_file(folder, seq_name).is_file():
            return box_file(folder, seq_name)
    return None


def resolve_run_dir(run_dir: PathLike, dataset: str | None = None) -> Path:
    """The folder holding one dataset's ``<seq>.txt`` files in a run folder: ``<run_dir>/<dataset>`` when given and
    present; else ``run_dir`` itself when it holds box files (older layout, raw result folders); else its only
    dataset sub-folder. ValueError naming them when there are several and no ``dataset`` was given."""
    run_dir = Path(run_dir)
    if dataset and sequence_dir(run_dir, dataset).is_dir():
        return sequence_dir(run_dir, dataset)
    if dataset or not run_dir.is_dir() or any(p.suffix == ".txt" for p in run_dir.iterdir() if p.is_file()):
        return run_dir
    subs = sorted(p.name for p in run_dir.iterdir() if p.is_dir() and any(p.glob("*.txt")))
    if len(subs) == 1:
        return run_dir / subs[0]
    if subs:
        raise ValueError(f"{run_dir} holds results of several datasets ({', '.join(subs)}); choose one with --dataset")
    return run_dir


def box_file(results_dir: PathLike, seq_name: str) -> Path:
    return Path(results_dir) / f"{seq_name}.txt"


def time_file(results_dir: PathLike, seq_name: str) -> Path:
    return Path(results_dir) / f"{seq_name}_time.txt"


def result_exists(results_dir: PathLike, seq_name: str, dataset: str | None = None) -> bool:
    """True when the sequence is finished (its box file exists, in either layout; it is written last and
    atomically)."""
    return find_box_file(results_dir, seq_name, dataset) is not None


def format_boxes(boxes: np.ndarray | SequenceABC, save_float: bool = False) -> str:
    """Tab-separated ``x y w h`` lines; integers (nearest) unless ``save_float`` (shortest exact float repr)."""
    arr = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if not np.isfinite(arr).all():
        bad = int(np.argwhere(~np.isfinite(arr).all(axis=1))[0, 0])
        raise ValueError(f"box for frame {bad} is not finite: {arr[bad].tolist()}")
    if save_float:
        lines = ["\t".join(repr(float(v)) for v in row) for row in arr]
    else:
        lines = ["\t".join(str(int(v)) for v in row) for row in np.rint(arr)]
    return "".join(line + "\n" for line in lines)


def format_times(times: SequenceABC[float]) -> str:
    return "".join(f"{float(t):.6f}\n" for t in times)


def save_sequence_result(
    results_dir: PathLike,
    seq_name: str,
    boxes: np.ndarray | SequenceABC,
    times: SequenceABC[float] | None = None,
    save_float: bool = False,
) -> Path:
    """Write ``<seq>_time.txt`` (if ``times``) then ``<seq>.txt``, each atomically. Returns the box file path."""
    box_text = format_boxes(boxes, save_float)  # format first: a bad box must not leave a lone time file either
    if times is not None:
        if len(times) != box_text.count("\n"):
            raise ValueError(f"{seq_name}: {len(times)} frame times for {box_text.count(chr(10))} boxes")
        atomic_write_text(time_file(results_dir, seq_name), format_times(times))
    return atomic_write_text(box_file(results_dir, seq_name), box_text)


def read_boxes(path: PathLike) -> np.ndarray:
    """Read a result/box file written here or by the original tools (tab, comma or space separated) -> ``[N, 4]``."""
    from pytracking.evaluation.data import read_annotation

    return read_annotation(path)[:, :4]


def read_times(path: PathLike) -> np.ndarray:
    """Per-frame times from a ``<seq>_time.txt`` file -> ``[N]`` float64."""
    text = Path(path).read_text().split()
    return np.array([float(v) for v in text], dtype=np.float64)
