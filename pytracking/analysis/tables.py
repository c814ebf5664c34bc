"""Result tables: the overall table (stdout + CSV + Markdown) and the per-sequence AUC table.

``print_results(trackers, dataset, report_name, merge_results, plot_types)`` keeps the name and arguments users of
this field know; ``plot_types`` selects the metric columns ('success' -> AUC/OP50/OP75, 'prec' -> Precision,
'norm_prec' -> Norm. Precision). Scores are printed in percent with two decimals (stdout/Markdown) and stored as
fractions with full precision in the CSV files.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ltr.admin.atomic_io import atomic_write_text
from pytracking.analysis.extract import (
    ResultCache,
    ground_truth_from_sequences,
    load_ground_truth,
    tracker_specs,
)
from pytracking.analysis.results import EvalResult, compute_results

__all__ = [
    "PLOT_TYPE_COLUMNS",
    "columns_for",
    "score_rows",
    "format_table",
    "markdown_table",
    "csv_table",
    "per_sequence_rows",
    "format_per_sequence",
    "report_dir",
    "save_tables",
    "evaluate",
    "print_results",
]

PLOT_TYPE_COLUMNS = {
    "success": ("AUC", "OP50", "OP75"),
    "prec": ("Precision",),
    "norm_prec": ("Norm. Precision",),
}
ALL_PLOT_TYPES = ("success", "prec", "norm_prec")
PathLike = str | Path


def columns_for(plot_types: Iterable[str] = ALL_PLOT_TYPES) -> list[str]:
    cols: list[str] = []
    for p in plot_types:
        if p not in PLOT_TYPE_COLUMNS:
            raise ValueError(f"unknown plot type {p!r}; known: {', '.join(PLOT_TYPE_COLUMNS)}")
        cols.extend(PLOT_TYPE_COLUMNS[p])
    return cols + ["FPS"]


def score_rows(result: EvalResult, columns: Sequence[str]) -> list[list[Any]]:
    """``[tracker, value, ...]`` rows in the result's tracker order (values as fractions, FPS in frames/s)."""
    scores = result.scores()
    return [[name] + [scores[name][c] for c in columns] for name in result.trackers]


def _fmt(col: str, v: float) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "-"
    return f"{v:.1f}" if col == "FPS" else f"{100.0 * v:.2f}"


def format_table(result: EvalResult, columns: Sequence[str], title: str | None = None) -> str:
    """Fixed-width text table (scores in %)."""
    rows = [[r[0]] + [_fmt(c, v) for c, v in zip(columns, r[1:], strict=True)]
            for r in score_rows(result, columns)]
    header = ["Tracker", *columns]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    lines = []
    if title:
        lines.append(title)
    lines.append("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths,
                                                                                                strict=True))))
    for r in rows:
        lines.append("  ".join(str(x).ljust(w) if i == 0 else str(x).rjust(w)
                               for i, (x, w) in enumerate(zip(r, widths, strict=True))))
    return "\n".join(lines)


def markdown_table(result: EvalResult, columns: Sequence[str]) -> str:
    lines = ["| Tracker | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for r in score_rows(result, columns):
        lines.append(f"| {r[0]} | " + " | ".join(_fmt(c, v) for c, v in zip(columns, r[1:], strict=True)) + " |")
    return "\n".join(lines) + "\n"


def csv_table(result: EvalResult, columns: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["Tracker", *columns])
    for r in score_rows(result, columns):
        writer.writerow([r[0]] + [repr(float(v)) for v in r[1:]])
    return buf.getvalue()


def per_sequence_rows(result: EvalResult, only: str = "all", k: int = 10) -> tuple[list[str], np.ndarray]:
    """Sequences and their ``[S, T]`` AUCs. ``only``: 'all' (dataset order) or 'most_different' (top ``k`` by the
    spread max - min of the trackers' AUCs)."""
    auc = result.per_sequence_auc()  # [T, S]
    if only == "all":
        names = list(result.sequences)
    elif only == "most_different":
        names = result.most_different(k)
    else:
        raise ValueError(f"per-sequence filter must be 'all' or 'most_different', got {only!r}")
    idx = [result.sequences.index(n) for n in names]
    return names, auc[:, idx].T


def format_per_sequence(result: EvalResult, only: str = "all", k: int = 10) -> str:
    names, values = per_sequence_rows(result, only, k)
    header = ["Sequence", *result.trackers]
    rows = [[n] + [f"{100 * v:.1f}" for v in row] for n, row in zip(names, values, strict=True)]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    out = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths,
                                                                                            strict=True)))]
    for r in rows:
        out.append("  ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in enumerate(zip(r, widths,
                                                                                                   strict=True))))
    return "\n".join(out)


def report_dir(report_name: str, result_plot_path: PathLike | None = None) -> Path:
    """``<result_plot_path>/<report_name>`` (the setting unless given)."""
    if result_plot_path is None:
        from pytracking.evaluation.environment import env_settings

        result_plot_path = env_settings().result_plot_path
    return Path(result_plot_path) / report_name


def save_tables(result: EvalResult, out_dir: PathLike, columns: Sequence[str]) -> dict[str, Path]:
    """Write ``results.csv``, ``results.md`` and ``per_sequence_auc.csv`` (atomically) into ``out_dir``."""
    out_dir = Path(out_dir)
    names, values = per_sequence_rows(result)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["Sequence", *result.trackers])
    for n, row in zip(names, values, strict=True):
        writer.writerow([n] + [repr(float(v)) for v in row])
    md = (f"# {result.dataset} ({result.convention} convention, {len(result.sequences)} sequences)\n\n"
          + markdown_table(result, columns))
    if result.skipped_sequences:
        md += f"\nSkipped (missing for some tracker): {', '.join(result.skipped_sequences)}\n"
    return {
        "csv": atomic_write_text(out_dir / "results.csv", csv_table(result, columns)),
        "md": atomic_write_text(out_dir / "results.md", md),
        "per_sequence": atomic_write_text(out_dir / "per_sequence_auc.csv", buf.getvalue()),
    }


def _as_ground_truth(dataset: Any, dataset_root: PathLike | None) -> tuple[str, list]:
    if isinstance(dataset, str):
        return dataset, load_ground_truth(dataset, root=dataset_root)
    gts = ground_truth_from_sequences(dataset)
    if not gts:
        raise ValueError("empty dataset: no sequences to evaluate")
    return gts[0].dataset, gts


def evaluate(
    trackers: Iterable[Any],
    dataset: str | Iterable[Any],
    merge_results: bool = False,
    *,
    convention: str = "pytracking",
    exclude_invalid_frames: bool = False,
    skip_missing_seq: bool = False,
    dataset_root: PathLike | None = None,
    workers: int = 0,
    cache: ResultCache | None = None,
    report=print,
) -> EvalResult:
    """Score ``trackers`` (``Tracker`` objects or ``extract.TrackerSpec``s) on ``dataset`` (a name, a ``Sequence``
    list or an ``extract.GroundTruth`` list)."""
    name, gts = _as_ground_truth(dataset, dataset_root)
    specs = tracker_specs(trackers, merge_results)
    return compute_results(specs, gts, name, convention, exclude_invalid_frames, skip_missing_seq, workers, cache,
                           report)


def print_results(
    trackers: Iterable[Any],
    dataset: str | Iterable[Any],
    report_name: str,
    merge_results: bool = False,
    plot_types: Iterable[str] = ALL_PLOT_TYPES,
    *,
    convention: str = "pytracking",
    exclude_invalid_frames: bool = False,
    skip_missing_seq: bool = False,
    dataset_root: PathLike | None = None,
    result_plot_path: PathLike | None = None,
    per_sequence: str | None = None,
    workers: int = 0,
    cache: ResultCache | None = None,
    out=print,
) -> EvalResult:
    """Evaluate, print the table (and optionally the per-sequence table: 'all' or 'most_different'), and save
    ``results.csv`` / ``results.md`` / ``per_sequence_auc.csv`` under ``<result_plot_path>/<report_name>/``."""
    result = evaluate(trackers, dataset, merge_results, convention=convention,
                      exclude_invalid_frames=exclude_invalid_frames, skip_missing_seq=skip_missing_seq,
                      dataset_root=dataset_root, workers=workers, cache=cache, report=out)
    columns = columns_for(plot_types)
    title = (f"{report_name}: {result.dataset}, {len(result.sequences)} sequences, {result.convention} convention "
             f"(scores in %)")
    out(format_table(result, columns, title))
    if per_sequence:
        out(format_per_sequence(result, per_sequence))
    for note in result.notes:
        out(f"note: {note}")
    save_tables(result, report_dir(report_name, result_plot_path), columns)
    return result

