"""Result tables: the overall table (stdout, CSV, Markdown, LaTeX) and the per-sequence AUC table.

``print_results(trackers, dataset, report_name, merge_results, plot_types)`` keeps the name and arguments users of
this field know; ``plot_types`` selects the metric columns ('success' -> AUC/OP50/OP75, 'prec' -> Precision,
'norm_prec' -> Norm. Precision). Every table is a :class:`pandas.DataFrame` (:func:`score_frame`,
:func:`per_sequence_frame`) rendered by pandas: text for the terminal, CSV (fractions, full precision), Markdown and
LaTeX (``results.tex``, a ``tabular`` to ``\\input`` in a paper), the last three in percent with two decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

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
    "score_frame",
    "display_frame",
    "format_table",
    "markdown_table",
    "latex_table",
    "csv_table",
    "per_sequence_rows",
    "per_sequence_frame",
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


def score_frame(result: EvalResult, columns: Sequence[str]) -> pd.DataFrame:
    """One row per tracker (result order), index ``Tracker``; scores as fractions, FPS in frames/s."""
    scores = result.scores()
    frame = pd.DataFrame([[scores[name][c] for c in columns] for name in result.trackers],
                         index=pd.Index(list(result.trackers), name="Tracker"), columns=list(columns), dtype=float)
    return frame


def _full(value: float) -> str:
    """Shortest text that reads back to exactly the same float."""
    return repr(float(value))


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Scores in percent with two decimals, FPS with one, ``-`` where a value is undefined (strings, for output)."""
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        scale, digits = (1.0, 1) if col == "FPS" else (100.0, 2)
        out[col] = [("-" if np.isnan(v) else f"{scale * v:.{digits}f}") for v in frame[col].to_numpy(float)]
    return out


def _text(frame: pd.DataFrame) -> str:
    """Fixed-width text of a frame of strings: first column (the names) left-aligned, the others right-aligned."""
    first = frame.columns[0]
    width = max([len(str(first))] + [len(str(v)) for v in frame[first]])
    frame = frame.copy()
    frame[first] = [str(v).ljust(width) for v in frame[first]]
    frame = frame.rename(columns={first: str(first).ljust(width)})
    return frame.to_string(index=False, justify="right")


def format_table(result: EvalResult, columns: Sequence[str], title: str | None = None) -> str:
    """Fixed-width text table (scores in %)."""
    text = _text(display_frame(score_frame(result, columns)).reset_index())
    return f"{title}\n{text}" if title else text


def markdown_table(result: EvalResult, columns: Sequence[str]) -> str:
    """GitHub Markdown (scores in %), numbers right-aligned."""
    shown = display_frame(score_frame(result, columns)).reset_index()
    return shown.to_markdown(index=False, tablefmt="pipe", disable_numparse=True,
                             colalign=["left"] + ["right"] * len(columns)) + "\n"


def latex_table(result: EvalResult, columns: Sequence[str], caption: str | None = None) -> str:
    """A LaTeX ``table`` (scores in %; booktabs rules, needs ``\\usepackage{booktabs}``), best score of each
    column in bold (not FPS)."""
    frame = score_frame(result, columns)
    shown = display_frame(frame)
    for col in columns:
        values = frame[col].to_numpy(float)
        if col == "FPS" or len(values) < 2 or not np.isfinite(values).any():
            continue
        for row in np.flatnonzero(values == np.nanmax(values)):
            shown.iloc[row, shown.columns.get_loc(col)] = f"\\textbf{{{shown.iloc[row][col]}}}"
    shown = shown.reset_index()
    shown["Tracker"] = [str(n).replace("_", "\\_").replace("&", "\\&").replace("%", "\\%")
                        for n in shown["Tracker"]]
    return shown.to_latex(index=False, escape=False, column_format="l" + "r" * len(columns), caption=caption)


def csv_table(result: EvalResult, columns: Sequence[str]) -> str:
    """CSV with full precision (fractions, not percent): what scripts read back."""
    return score_frame(result, columns).to_csv(float_format=_full, lineterminator="\n")


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


def per_sequence_frame(result: EvalResult, only: str = "all", k: int = 10) -> pd.DataFrame:
    """AUC per sequence (rows, index ``Sequence``) and tracker (columns), as fractions."""
    names, values = per_sequence_rows(result, only, k)
    return pd.DataFrame(values, index=pd.Index(names, name="Sequence"), columns=list(result.trackers))


def format_per_sequence(result: EvalResult, only: str = "all", k: int = 10) -> str:
    frame = per_sequence_frame(result, only, k)
    shown = (100 * frame).map(lambda v: f"{v:.1f}").reset_index()
    return _text(shown)


def report_dir(report_name: str, result_plot_path: PathLike | None = None) -> Path:
    """``<result_plot_path>/<report_name>`` (the setting unless given)."""
    if result_plot_path is None:
        from pytracking.evaluation.environment import env_settings

        result_plot_path = env_settings().result_plot_path
    return Path(result_plot_path) / report_name


def save_tables(result: EvalResult, out_dir: PathLike, columns: Sequence[str]) -> dict[str, Path]:
    """Write ``results.csv``, ``results.md``, ``results.tex`` and ``per_sequence_auc.csv`` (atomically)."""
    out_dir = Path(out_dir)
    md = (f"# {result.dataset} ({result.convention} convention, {len(result.sequences)} sequences)\n\n"
          + markdown_table(result, columns))
    if result.skipped_sequences:
        md += f"\nSkipped (missing for some tracker): {', '.join(result.skipped_sequences)}\n"
    caption = f"{result.dataset}, {len(result.sequences)} sequences, {result.convention} convention (scores in \\%)"
    return {
        "csv": atomic_write_text(out_dir / "results.csv", csv_table(result, columns)),
        "md": atomic_write_text(out_dir / "results.md", md),
        "tex": atomic_write_text(out_dir / "results.tex", latex_table(result, columns, caption)),
        "per_sequence": atomic_write_text(out_dir / "per_sequence_auc.csv",
                                          per_sequence_frame(result).to_csv(float_format=_full, lineterminator="\n")),
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

