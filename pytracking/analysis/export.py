"""Write tracking results in the layouts the community's toolkits read, and pack submissions for evaluation servers.

    python -m pytracking.analysis.export --format got10k --mode otb --trackers atom:default --out results/OTB2015
    python -m pytracking.analysis.export --format pysot --result-dirs DIR1 DIR2 --out pysot_results
    python -m pytracking.analysis.export pack got10k --trackers atom:default:0-2 --out atom_got10k.zip
    python -m pytracking.analysis.export pack trackingnet --trackers atom:default --out atom_trackingnet.zip

Formats (``<tracker>`` is the tracker label with spaces as ``_``, e.g. ``atom_default``; results are read from the
pytracking layout, any delimiter):

* ``pytracking``: ``<tracker>/<seq>.txt`` tab-separated ``x y w h`` + ``<seq>_time.txt`` (what this project writes).
* ``got10k`` (the got10k toolkit, comma-separated): ``--mode got10k`` (default, its GOT-10k experiment):
  ``<tracker>/<seq>/<seq>_<run:03d>.txt`` for every run and ``<seq>/<seq>_time.txt``; ``--mode otb`` (its OTB,
  UAV123, NfS, ... experiments): ``<tracker>/<seq>.txt`` and ``<tracker>/times/<seq>_time.txt``, with OTB's two-target
  sequences spelled as the toolkit does (``Jogging.1``, ``Skating2.2``, ``Human4``). Point got10k's experiment at the
  folder above ``<tracker>`` (``ExperimentOTB(result_dir=R)`` reads ``R/OTB2015/<tracker>``).
* ``pysot`` (pysot-toolkit, one-pass evaluation): ``<tracker>/<seq>.txt`` comma-separated, OTB's two-target
  sequences spelled ``Jogging-1``, ``Human4-2``.
* ``otb-matlab-txt`` (text files for the MATLAB OTB toolkit's scripts, read with ``dlmread``): ``<tracker>/<seq>.txt``
  comma-separated, sequence names as the toolkit spells them (``Jogging-1``), no time files.

Every row is one frame of the tracked range as stored (OTB's Tiger1 starts at annotation line 6 in both this project
and the OTB toolkit; got10k's own OTB reader expects all 354 lines there, so its report cannot score Tiger1).
Box values are written as integers when they are whole numbers, else with their shortest exact representation.
Files are written atomically; an existing file of the output is never overwritten unless ``--force``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ltr.admin.atomic_io import atomic_write_text
from ltr.admin.cli_flags import ALIAS_NOTE, add_flag_aliases
from pytracking.analysis.extract import MissingResultsError, ResultCache, ResultFileError, TrackerSpec
from pytracking.analysis.packing import format_rows, pack_got10k, pack_trackingnet, result_sequences

__all__ = ["FORMATS", "export_results", "toolkit_name", "build_parser", "build_pack_parser", "main"]

FORMATS = ("pytracking", "got10k", "pysot", "otb-matlab-txt")
_TWO_TARGET = ("Jogging_1", "Jogging_2", "Skating2_1", "Skating2_2", "Human4_2")
_GOT10K_OTB_NAMES = {"Jogging_1": "Jogging.1", "Jogging_2": "Jogging.2", "Skating2_1": "Skating2.1",
                     "Skating2_2": "Skating2.2", "Human4_2": "Human4"}

PathLike = str | Path


def toolkit_name(seq: str, fmt: str, mode: str = "got10k") -> str:
    """The sequence's file name stem in a toolkit's layout (only OTB's two-target sequences are spelled differently)."""
    if fmt == "got10k" and mode == "otb":
        return _GOT10K_OTB_NAMES.get(seq, seq)
    if fmt in ("pysot", "otb-matlab-txt") and seq in _TWO_TARGET:
        return seq.replace("_", "-")
    return seq


def _tracker_folder(label: str) -> str:
    return label.replace(" ", "_").replace("/", "_")


def _times(run_dir: Path, seq: str) -> np.ndarray | None:
    f = run_dir / f"{seq}_time.txt"
    if not f.is_file():
        return None
    from pytracking.evaluation.results_io import read_times

    return read_times(f)


def _boxes(run_dir: Path, seq: str, cache: ResultCache) -> np.ndarray:
    return np.asarray(cache.read(run_dir / f"{seq}.txt"), dtype=np.float64).reshape(-1, 4)


def export_results(specs: Sequence[TrackerSpec], out_dir: PathLike, fmt: str, mode: str = "got10k",
                   sequences: Sequence[str] | None = None, force: bool = False,
                   cache: ResultCache | None = None) -> list[Path]:
    """Write every tracker's results under ``out_dir`` in ``fmt`` (module doc). Returns the box files written.

    ``sequences`` default: those with a box file in the tracker's first run folder. A listed sequence missing in
    some run raises :class:`MissingResultsError` naming them all; an existing output file raises FileExistsError
    unless ``force``. Several runs are written as runs 1, 2, ... in the got10k format and refused in the others.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if mode not in ("got10k", "otb"):
        raise ValueError(f"--mode must be got10k or otb, got {mode!r}")
    cache = cache or ResultCache()
    out_dir = Path(out_dir)
    plan: list[tuple[Path, str]] = []  # (file, text)
    missing: dict[str, list[str]] = {}
    for spec in specs:
        dirs = [Path(d) for d in spec.run_dirs]
        if len(dirs) > 1 and not (fmt == "got10k" and mode == "got10k"):
            raise ValueError(f"{spec.label}: {len(dirs)} runs; only the got10k format (--mode got10k) stores several "
                             f"runs - export one run id at a time")
        seqs = list(sequences) if sequences is not None else result_sequences(dirs[0])
        if not seqs:
            raise FileNotFoundError(f"{spec.label}: no result files (<seq>.txt) in {dirs[0]}")
        gone = [s for d in dirs for s in seqs if not (d / f"{s}.txt").is_file()]
        if gone:
            missing[spec.label] = sorted(set(gone))
            continue
        base = out_dir / _tracker_folder(spec.label)
        for seq in seqs:
            name = toolkit_name(seq, fmt, mode)
            times = _times(dirs[0], seq)
            if fmt == "pytracking":
                from pytracking.evaluation.results_io import format_boxes, format_times

                boxes = _boxes(dirs[0], seq, cache)
                plan.append((base / f"{name}.txt", format_boxes(boxes, save_float=not np.all(boxes == np.rint(boxes)))))
                if times is not None:
                    plan.append((base / f"{name}_time.txt", format_times(times)))
            elif fmt == "got10k" and mode == "got10k":
                for run, d in enumerate(dirs, start=1):
                    plan.append((base / name / f"{name}_{run:03d}.txt", format_rows(_boxes(d, seq, cache))))
                if times is not None:
                    plan.append((base / name / f"{name}_time.txt", "".join(f"{t!r}\n" for t in times.tolist())))
            else:
                plan.append((base / f"{name}.txt", format_rows(_boxes(dirs[0], seq, cache))))
                if fmt == "got10k" and times is not None:
                    plan.append((base / "times" / f"{name}_time.txt", "".join(f"{t!r}\n" for t in times.tolist())))
    if missing:
        raise MissingResultsError(missing)
    existing = [f for f, _ in plan if f.exists()]
    if existing and not force:
        raise FileExistsError(f"{len(existing)} output file(s) exist, e.g. {existing[0]}; choose another --out or "
                              f"pass --force to overwrite them")
    for f, text in plan:
        atomic_write_text(f, text)
    return [f for f, _ in plan if not f.name.endswith("_time.txt")]


def _add_sources(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trackers", nargs="*", default=[], metavar="NAME:PARAM[:RUNIDS]",
                   help="trackers under the results path, e.g. atom:default or atom:default:0-2 (several runs)")
    p.add_argument("--result-dirs", nargs="*", default=[], metavar="DIR",
                   help="result folders (<seq>.txt each); the folder name is the tracker name")
    p.add_argument("--results-path", default=None, help="root of the results (default: the results_path setting)")
    p.add_argument("--sequence", action="append", default=None, metavar="NAME",
                   help="only this sequence (repeatable; default: every result in the folder)")
    p.add_argument("--dataset", default=None,
                   help="which dataset's results of a run folder (its <dataset>/ sub-folder); default: the only one "
                        "(export) or got10k_test / trackingnet (pack)")
    p.add_argument("--out", required=True, help="output folder (export) or zip file (pack)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pytracking.analysis.export",
                                description="Write results in a toolkit's layout. 'export pack got10k|trackingnet "
                                            "...' zips a submission for an evaluation server.", epilog=ALIAS_NOTE)
    p.add_argument("--format", required=True, choices=FORMATS, help="target layout (see the module docstring)")
    p.add_argument("--mode", choices=("got10k", "otb"), default="got10k",
                   help="got10k format only: its GOT-10k layout (default) or its OTB/UAV/NfS layout")
    _add_sources(p)
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    return add_flag_aliases(p)


def build_pack_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pytracking.analysis.export pack",
                                description="Zip results for the GOT-10k or TrackingNet evaluation server.",
                                epilog=ALIAS_NOTE)
    p.add_argument("server", choices=("got10k", "trackingnet"), help="evaluation server")
    _add_sources(p)
    return add_flag_aliases(p)


def _specs(args: argparse.Namespace, dataset: str | None) -> list[TrackerSpec]:
    """Specs with every run folder resolved to the folder holding ``dataset``'s ``<seq>.txt`` files."""
    from pytracking.analysis.evaluate import specs_from_args
    from pytracking.evaluation.results_io import resolve_run_dir

    specs = specs_from_args(args)
    if not specs:
        raise ValueError("give at least one tracker (--trackers NAME:PARAM) or result folder (--result-dirs)")
    return [TrackerSpec(s.label, [resolve_run_dir(d, dataset) for d in s.run_dirs]) for s in specs]


def _pack(argv: Sequence[str]) -> int:
    args = build_pack_parser().parse_args(argv)
    specs = _specs(args, args.dataset or {"got10k": "got10k_test", "trackingnet": "trackingnet"}[args.server])
    if args.server == "got10k":
        runs = [d for s in specs for d in s.run_dirs]  # several folders / run ids = the runs of one submission
        out = pack_got10k(runs, args.out, args.sequence)
    else:
        if len(specs) != 1 or len(specs[0].run_dirs) != 1:
            raise ValueError("the TrackingNet server takes one run: give one tracker (one run id) or one folder")
        out = pack_trackingnet(specs[0].run_dirs[0], args.out, args.sequence)
    print(f"wrote {out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["pack"]:
            return _pack(argv[1:])
        args = build_parser().parse_args(argv)
        files = export_results(_specs(args, args.dataset), args.out, args.format, args.mode, args.sequence, args.force)
        print(f"wrote {len(files)} result file(s) in the {args.format} layout under {args.out}")
    except (MissingResultsError, ResultFileError, FileExistsError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
