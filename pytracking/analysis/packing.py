"""Zip result folders in the layouts the GOT-10k and TrackingNet evaluation servers accept.

GOT-10k test server: one folder per sequence, ``<seq>/<seq>_<run:03d>.txt`` (comma-separated ``x,y,w,h`` per frame,
runs numbered from 1) and ``<seq>/<seq>_time.txt`` (seconds per frame, one line per frame; the first run's times).
TrackingNet server: ``<seq>.txt`` (comma-separated ``x,y,w,h``) at the zip's top level. Both read the pytracking
result files (``<seq>.txt`` tab-separated, ``<seq>_time.txt``) of one or several run folders; every listed sequence
must have a result in every run (a partial submission is refused with the missing names). The zip is written
atomically.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ltr.admin.atomic_io import atomic_write
from pytracking.analysis.extract import MissingResultsError, ResultCache

__all__ = ["format_rows", "pack_got10k", "pack_trackingnet", "result_sequences"]

PathLike = str | Path


def format_rows(values: np.ndarray) -> str:
    """Comma-separated rows; integral values without a decimal point, others with their shortest exact repr."""
    lines = []
    for row in np.atleast_2d(values):
        lines.append(",".join(str(int(v)) if float(v).is_integer() else repr(float(v)) for v in row))
    return "\n".join(lines) + "\n"


def result_sequences(run_dir: PathLike) -> list[str]:
    """Sequence names that have a box file in ``run_dir`` (sorted)."""
    return sorted(p.stem for p in Path(run_dir).glob("*.txt") if not p.stem.endswith("_time"))


def _check(run_dirs: Sequence[Path], sequences: Sequence[str]) -> None:
    missing: dict[str, list[str]] = {}
    for d in run_dirs:
        gone = [s for s in sequences if not (d / f"{s}.txt").is_file()]
        if gone:
            missing[str(d)] = gone
    if missing:
        raise MissingResultsError(missing)


def pack_got10k(run_dirs: Sequence[PathLike], out_zip: PathLike, sequences: Sequence[str] | None = None,
                cache: ResultCache | None = None) -> Path:
    """Zip the runs in ``run_dirs`` (run 1, 2, ...) for the GOT-10k server; ``sequences`` default: run 1's files."""
    dirs = [Path(d) for d in run_dirs]
    if not dirs:
        raise ValueError("pack_got10k needs at least one run folder")
    seqs = list(sequences) if sequences is not None else result_sequences(dirs[0])
    _check(dirs, seqs)
    cache = cache or ResultCache()

    def write(fh) -> None:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for seq in seqs:
                for r, d in enumerate(dirs, start=1):
                    boxes = cache.read(d / f"{seq}.txt")[:, :4]
                    zf.writestr(f"{seq}/{seq}_{r:03d}.txt", format_rows(boxes))
                tf = dirs[0] / f"{seq}_time.txt"
                if tf.is_file():
                    times = cache.read(tf).reshape(-1, 1)
                    zf.writestr(f"{seq}/{seq}_time.txt", "\n".join(repr(float(t)) for t in times[:, 0]) + "\n")

    return atomic_write(out_zip, write)


def pack_trackingnet(run_dir: PathLike, out_zip: PathLike, sequences: Sequence[str] | None = None,
                     cache: ResultCache | None = None) -> Path:
    """Zip one run folder for the TrackingNet server (``<seq>.txt`` comma-separated at the top level)."""
    d = Path(run_dir)
    seqs = list(sequences) if sequences is not None else result_sequences(d)
    _check([d], seqs)
    cache = cache or ResultCache()

    def write(fh) -> None:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for seq in seqs:
                zf.writestr(f"{seq}.txt", format_rows(cache.read(d / f"{seq}.txt")[:, :4]))

    return atomic_write(out_zip, write)
