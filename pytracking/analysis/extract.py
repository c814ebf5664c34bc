"""Result files + dataset ground truth -> aligned numpy arrays, parsed in parallel and cached by content.

Why a content-keyed cache: evaluation is re-run constantly while results are still being written (a sweep, several
hosts sharing a results folder). A cache keyed by path or by modification time can return stale numbers when a file
is rewritten within the file system's timestamp resolution or copied with its old mtime; hashing the bytes costs far
less than parsing them and can never be stale. Parsed arrays are kept in memory (and optionally in ``cache_dir``
as ``<blake2b>.npy``) under that hash.

Alignment of a result file with the ground truth (one row per frame of the tracked range):

* the ground truth of a sequence is what the dataset descriptor builds: for OTB that is annotation line ``1 +
  init_omit`` onwards (line 1 is the sequence's start frame, e.g. David's frame 300; Tiger1 omits 5 frames), i.e. the
  frames the tracker was run on. The OTB toolkit's published raw results have exactly one row per such frame for all
  100 sequences (Tiger1: 349 rows for 354 annotation lines);
* a file with ``len(gt) + init_omit`` rows (a run over the whole annotation range) drops its first ``init_omit``
  rows; a longer file is truncated; a shorter one is padded with zero boxes (failures) - an error for LaSOT.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ltr.admin.atomic_io import atomic_write
from ltr.admin.errors import UserError
from pytracking.analysis.conventions import check_convention, dataset_family

__all__ = [
    "GroundTruth",
    "TrackerSpec",
    "ResultFileError",
    "MissingResultsError",
    "ResultCache",
    "DEFAULT_CACHE",
    "parse_numeric_text",
    "load_ground_truth",
    "ground_truth_from_sequences",
    "tracker_specs",
    "parse_tracker_arg",
    "specs_from_dirs",
    "align_prediction",
    "check_prediction",
    "check_no_inf",
    "surplus_rows",
    "load_predictions",
]

PathLike = str | os.PathLike
_TO_SPACE = bytes.maketrans(b",;\t", b"   ")


class ResultFileError(UserError, ValueError):
    """A result file cannot be used; the message names the file (and line, 1-based, where there is one)."""


class MissingResultsError(UserError, FileNotFoundError):
    """Result files are missing for some (tracker, sequence) pairs; ``missing`` maps tracker label -> names."""

    def __init__(self, missing: dict[str, list[str]]):
        self.missing = missing
        parts = [f"{label}: {', '.join(names)}" for label, names in missing.items()]
        super().__init__("missing result files (pass skip_missing_seq=True / --skip-missing to evaluate the "
                         "sequences every tracker has): " + "; ".join(parts))


def parse_numeric_text(data: bytes, path: str = "<text>") -> np.ndarray:
    """Numbers separated by commas, semicolons, tabs or spaces, one row per non-empty line -> ``[N, C]`` float64.

    All rows must have the same number of values; ``NaN`` is accepted (conventions decide what it means). The whole
    text goes to numpy's C parser (``np.loadtxt``); only a file it rejects is re-read line by line to name the
    offending line.
    """
    text = data.translate(_TO_SPACE)
    if not text.strip():
        return np.zeros((0, 4), dtype=np.float64)
    try:
        values = np.loadtxt(io.BytesIO(text), dtype=np.float64, ndmin=2, comments=None)
    except ValueError:
        first = next(ln for ln in text.splitlines() if ln.strip())
        _raise_parse_error(text, len(first.split()), path)
        raise
    return values


def _raise_parse_error(text: bytes, ncols: int, path: str) -> None:
    for i, ln in enumerate(text.splitlines(), start=1):
        if not ln.strip():
            continue
        parts = ln.split()
        if len(parts) != ncols:
            raise ResultFileError(f"{path}:{i}: expected {ncols} values, found {len(parts)}")
        try:
            [float(v) for v in parts]
        except ValueError:
            raise ResultFileError(f"{path}:{i}: cannot parse {ln.decode(errors='replace').strip()!r}") from None
    raise ResultFileError(f"{path}: cannot parse the file as rows of {ncols} numbers")


def _parse_job(args: tuple[bytes, str]) -> np.ndarray:
    return parse_numeric_text(*args)


class ResultCache:
    """Parsed files keyed by the blake2b hash of their bytes (in memory; also on disk if ``cache_dir`` is set)."""

    def __init__(self, cache_dir: PathLike | None = None, max_entries: int = 100_000):
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        self.max_entries = max_entries
        self._memory: dict[str, np.ndarray] = {}
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        self._memory.clear()

    @staticmethod
    def key(data: bytes) -> str:
        return hashlib.blake2b(data, digest_size=16).hexdigest()

    def _lookup(self, key: str) -> np.ndarray | None:
        arr = self._memory.get(key)
        if arr is None and self.cache_dir is not None:
            f = self.cache_dir / f"{key}.npy"
            if f.is_file():
                arr = np.load(f, allow_pickle=False)
                self._memory[key] = arr
        return arr

    def _store(self, key: str, arr: np.ndarray) -> None:
        if len(self._memory) >= self.max_entries:
            self._memory.clear()
        self._memory[key] = arr
        if self.cache_dir is not None:
            atomic_write(self.cache_dir / f"{key}.npy", lambda fh: np.save(fh, arr, allow_pickle=False))

    def read_many(self, paths: Sequence[PathLike], workers: int = 0) -> list[np.ndarray]:
        """Parse ``paths`` (cache first). ``workers > 1`` parses the uncached files in a process pool."""
        paths = [str(p) for p in paths]
        if workers > 1 and len(paths) > 1:
            with ThreadPoolExecutor(min(workers, 8)) as pool:
                blobs = list(pool.map(_read_bytes, paths))
        else:
            blobs = [_read_bytes(p) for p in paths]
        keys = [self.key(b) for b in blobs]
        out: list[np.ndarray | None] = [self._lookup(k) for k in keys]
        todo = [i for i, a in enumerate(out) if a is None]
        self.hits += len(paths) - len(todo)
        self.misses += len(todo)
        if todo:
            jobs = [(blobs[i], paths[i]) for i in todo]
            if workers > 1 and len(todo) >= 4 * workers:
                with ProcessPoolExecutor(workers) as pool:
                    parsed = list(pool.map(_parse_job, jobs, chunksize=max(1, len(jobs) // (4 * workers))))
            else:
                parsed = [_parse_job(j) for j in jobs]
            for i, arr in zip(todo, parsed, strict=True):
                arr.setflags(write=False)
                self._store(keys[i], arr)
                out[i] = arr
        return out  # type: ignore[return-value]

    def read(self, path: PathLike) -> np.ndarray:
        return self.read_many([path])[0]


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


DEFAULT_CACHE = ResultCache()


# ---- ground truth -------------------------------------------------------------------------------------------------


@dataclass
class GroundTruth:
    """Ground truth of one sequence as evaluated: ``boxes [N, 4]`` for the tracked frames, optional visibility."""

    name: str
    dataset: str
    boxes: np.ndarray
    visible: np.ndarray | None = None
    init_omit: int = 0  # annotation rows before the tracked range (OTB Tiger1: 5)
    attributes: dict[str, bool] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.boxes)


def load_ground_truth(
    dataset: str,
    root: PathLike | None = None,
    sequences: Iterable[str] | None = None,
    allow_missing: bool = False,
    **overrides: Any,
) -> list[GroundTruth]:
    """Ground truth of a dataset's sequences without needing its images.

    Uses the dataset descriptor of :mod:`pytracking.evaluation.datasets` (``root`` overrides its path setting), but
    only reads annotations, so an annotation-only copy (e.g. ``otb100_gt``) works. Sequences whose annotation is
    absent raise one error naming them all unless ``allow_missing``. Datasets whose public ground truth is only the
    first box (GOT-10k test, TrackingNet) cannot be scored locally and raise ValueError.
    """
    from pytracking.evaluation.data import BenchmarkDataset, MissingSequencesError, select
    from pytracking.evaluation.datasets import load_dataset

    if root is not None:
        overrides["root"] = root
    descriptor = load_dataset(dataset, **overrides)
    names = list(sequences) if sequences is not None else None
    if isinstance(descriptor, BenchmarkDataset):
        chosen = select(descriptor.sequence_names(), names, descriptor.name)
        seqs, missing = [], {}
        for name in chosen:
            try:
                seqs.append(descriptor.construct(name))
            except FileNotFoundError as exc:
                missing[name] = str(exc.filename or exc)
        if missing and not allow_missing:
            raise MissingSequencesError(descriptor.name, descriptor.root, missing, len(chosen))
        if missing:
            names = list(missing)
            more = f" ... and {len(names) - 10} more" if len(names) > 10 else ""
            print(f"[{descriptor.name}] no ground truth for {len(names)} of {len(chosen)} sequences under "
                  f"{descriptor.root}, skipped: {', '.join(names[:10])}{more}")
    else:
        seqs = list(descriptor.get_sequence_list(sequences=names))
    info = getattr(descriptor, "info", None)
    out = []
    for seq in seqs:
        boxes = seq.ground_truth_rect
        if boxes is None or (len(boxes) <= 1 < len(seq.frames)):
            raise ValueError(f"dataset {dataset!r} sequence {seq.name}: only the first box is public; evaluate on "
                             f"the benchmark's server (see pytracking.analysis.packing)")
        omit = int(getattr(info(seq.name), "init_omit", 0)) if callable(info) else 0
        out.append(GroundTruth(seq.name, seq.dataset, np.asarray(boxes, np.float64)[:, :4],
                               seq.target_visible, omit))
    return out


def ground_truth_from_sequences(seqs: Iterable[Any]) -> list[GroundTruth]:
    """:class:`GroundTruth` from :class:`~pytracking.evaluation.data.Sequence` objects (e.g. ``get_dataset(...)``)."""
    out = []
    for seq in seqs:
        if isinstance(seq, GroundTruth):
            out.append(seq)
            continue
        out.append(GroundTruth(seq.name, seq.dataset, np.asarray(seq.ground_truth_rect, np.float64)[:, :4],
                               seq.target_visible, _init_omit(seq.dataset, seq.name)))
    return out


def _init_omit(dataset: str, name: str) -> int:
    """Annotation rows before the tracked range (only OTB has such sequences: Tiger1)."""
    if dataset != "otb":
        return 0
    from pytracking.evaluation.otbdataset import OTB_SEQUENCES

    return next((info.init_omit for info in OTB_SEQUENCES if info.name == name), 0)


# ---- trackers -----------------------------------------------------------------------------------------------------


@dataclass
class TrackerSpec:
    """One row of a results table: a label and the result folders of its runs (averaged when several)."""

    label: str
    run_dirs: list[Path]

    def box_file(self, run: int, seq: str) -> Path:
        return self.run_dirs[run] / f"{seq}.txt"

    def time_file(self, run: int, seq: str) -> Path:
        return self.run_dirs[run] / f"{seq}_time.txt"


def _run_ids(text: str) -> list[int]:
    ids: list[int] = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            ids.extend(range(int(a), int(b) + 1))
        elif part:
            ids.append(int(part))
    return ids


def parse_tracker_arg(text: str) -> tuple[str, str, list[int] | None]:
    """``'atom:default'`` -> ('atom', 'default', None); ``'atom:default:0-4'`` / ``':0,2'`` -> with run ids."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts[:2]):
        raise ValueError(f"tracker {text!r}: expected name:param or name:param:RUNIDS (e.g. atom:default:0-4)")
    try:
        runs = _run_ids(parts[2]) if len(parts) == 3 else None
    except ValueError:
        raise ValueError(f"tracker {text!r}: run ids must look like 0-4 or 0,2,5") from None
    return parts[0], parts[1], runs


def tracker_specs(trackers: Iterable[Any], merge_results: bool = False) -> list[TrackerSpec]:
    """Specs from :class:`~pytracking.evaluation.tracker.Tracker` objects (or ``TrackerSpec``s, kept as they are).

    ``merge_results`` groups trackers that differ only in ``run_id`` into one row (runs averaged per sequence).
    """
    specs: list[TrackerSpec] = []
    groups: dict[tuple, TrackerSpec] = {}
    for trk in trackers:
        if isinstance(trk, TrackerSpec):
            specs.append(trk)
            continue
        if merge_results:
            key = (trk.name, trk.parameter_name, trk.display_name)
            label = trk.display_name or f"{trk.name} {trk.parameter_name}"
            if key in groups:
                groups[key].run_dirs.append(Path(trk.results_dir))
                continue
            groups[key] = TrackerSpec(label, [Path(trk.results_dir)])
            specs.append(groups[key])
        else:
            specs.append(TrackerSpec(trk.label, [Path(trk.results_dir)]))
    labels = [s.label for s in specs]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise ValueError(f"duplicate tracker labels {dup}: give display names or merge_results=True")
    return specs


def specs_from_dirs(dirs: Iterable[PathLike]) -> list[TrackerSpec]:
    """One spec per raw result folder, labelled by the folder name."""
    out = []
    for d in dirs:
        p = Path(d)
        if not p.is_dir():
            raise FileNotFoundError(f"result folder not found: {p}")
        out.append(TrackerSpec(p.name, [p]))
    return out


# ---- predictions --------------------------------------------------------------------------------------------------


def check_prediction(pred: np.ndarray, path: PathLike, first_line: int = 1) -> None:
    """pytracking convention: NaN, Inf or negative sizes are errors naming the file and (1-based) line."""
    bad = ~np.isfinite(pred).all(axis=1) | (pred[:, 2:4] < 0).any(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        what = "NaN" if np.isnan(pred[row]).any() else "Inf" if np.isinf(pred[row]).any() else \
            "negative width/height"
        raise ResultFileError(f"{path}:{row + first_line}: {what} in prediction {pred[row].tolist()}")


def check_no_inf(pred: np.ndarray, path: PathLike, first_line: int = 1) -> None:
    """Every convention: an infinite value is never a box (NaN may mean "no prediction" in the toolkit's)."""
    bad = np.isinf(pred).any(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ResultFileError(f"{path}:{row + first_line}: Inf in prediction {pred[row].tolist()}")


def surplus_rows(pred: np.ndarray, gt: GroundTruth) -> int:
    """How many rows of a raw result go beyond the sequence (ignored by :func:`align_prediction`)."""
    n = len(gt)
    if gt.init_omit and len(pred) == n + gt.init_omit:
        return 0
    return max(0, len(pred) - n)


def align_prediction(pred: np.ndarray, gt: GroundTruth, path: PathLike) -> tuple[np.ndarray, int, int]:
    """Row-align a raw result with ``gt`` (module doc). Returns ``(pred[:n], num_padded, first_line)``.

    ``first_line`` is the 1-based file line of the returned row 0 (for error messages).
    """
    if pred.ndim != 2 or pred.shape[1] != 4:
        found = f"{pred.shape[1]} values" if pred.ndim == 2 else f"shape {pred.shape}"
        raise ResultFileError(f"{path}:1: expected 4 values (x, y, w, h) per line, found {found}")
    n = len(gt)
    first_line = 1
    if gt.init_omit and len(pred) == n + gt.init_omit:
        pred = pred[gt.init_omit:]
        first_line += gt.init_omit
    if len(pred) >= n:
        return pred[:n], 0, first_line
    if dataset_family(gt.dataset) == "lasot":
        raise ResultFileError(f"{path}: {len(pred)} rows but sequence {gt.name} has {n} frames (LaSOT results "
                              f"must cover every frame)")
    padded = n - len(pred)
    return np.concatenate([pred, np.zeros((padded, 4))]), padded, first_line


@dataclass
class LoadedResults:
    """Aligned predictions: ``pred[t][r][s]`` = ``[N_s, 4]`` for tracker t, run r, sequence s (None if missing),
    ``padded`` the same shape with the number of padded rows, ``times`` per-frame seconds or None."""

    specs: list[TrackerSpec]
    gts: list[GroundTruth]
    pred: list[list[list[np.ndarray | None]]]
    padded: list[list[list[int]]]
    times: list[list[list[np.ndarray | None]]]
    missing: dict[str, list[str]]
    surplus: dict[tuple[int, int, int], int] = field(default_factory=dict)  # (t, r, s) -> rows beyond the sequence


def load_predictions(
    specs: Sequence[TrackerSpec],
    gts: Sequence[GroundTruth],
    convention: str = "pytracking",
    workers: int = 0,
    cache: ResultCache | None = None,
) -> LoadedResults:
    """Read every (tracker, run, sequence) result file (missing ones recorded, not raised here)."""
    check_convention(convention)
    cache = DEFAULT_CACHE if cache is None else cache
    jobs: list[tuple[int, int, int, Path]] = []
    time_jobs: list[tuple[int, int, int, Path]] = []
    missing: dict[str, list[str]] = {}
    for t, spec in enumerate(specs):
        for r in range(len(spec.run_dirs)):
            for s, gt in enumerate(gts):
                f = spec.box_file(r, gt.name)
                if f.is_file():
                    jobs.append((t, r, s, f))
                    tf = spec.time_file(r, gt.name)
                    if tf.is_file():
                        time_jobs.append((t, r, s, tf))
                elif gt.name not in missing.get(spec.label, []):
                    missing.setdefault(spec.label, []).append(gt.name)
    arrays = cache.read_many([j[3] for j in jobs] + [j[3] for j in time_jobs], workers=workers)
    shape = [[[None] * len(gts) for _ in spec.run_dirs] for spec in specs]
    pred = [[list(run) for run in trk] for trk in shape]
    padded = [[[0] * len(gts) for _ in spec.run_dirs] for spec in specs]
    times = [[list(run) for run in trk] for trk in shape]
    surplus: dict[tuple[int, int, int], int] = {}
    for (t, r, s, f), raw in zip(jobs, arrays[: len(jobs)], strict=True):
        aligned, pad, first_line = align_prediction(raw, gts[s], f)
        if convention == "pytracking":
            check_prediction(aligned[: len(aligned) - pad], f, first_line)
        else:
            check_no_inf(aligned[: len(aligned) - pad], f, first_line)
        pred[t][r][s] = aligned
        padded[t][r][s] = pad
        extra = surplus_rows(raw, gts[s])
        if extra:
            surplus[(t, r, s)] = extra
    for (t, r, s, _f), raw in zip(time_jobs, arrays[len(jobs):], strict=True):
        times[t][r][s] = raw.reshape(-1)
    return LoadedResults(list(specs), list(gts), pred, padded, times, missing, surplus)
