"""Success, precision and normalised-precision plots drawn the way tracking papers draw them.

Each plot shows the dataset curve of every tracker, the legend sorted by the tracker's score (best first) with the
score in the label (``[0.582] SiamFC-3s``: AUC for success, value at 20 px for precision, at 0.2 for normalised
precision), and is saved as PNG and PDF under ``<result_plot_path>/<report_name>/``. Figures are built on
``matplotlib.figure.Figure`` with the Agg canvas directly, never through ``pyplot``: nothing depends on a display or
on the global backend, and plotting in worker processes or tests is safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ltr.admin.atomic_io import atomic_write
from pytracking.analysis import metrics
from pytracking.analysis.attributes import OTB_ATTRIBUTE_NAMES, sequences_with
from pytracking.analysis.results import EvalResult

__all__ = ["PLOT_SPECS", "plot_results", "plot_attribute_success", "plot_curves", "plot_scores_vs_epoch", "epoch_ticks",
           "scores_vs_epoch_figure"]

PathLike = str | Path

# plot type -> (curve key, score name, x label, y label, title prefix)
PLOT_SPECS: dict[str, tuple[str, str, str, str, str]] = {
    "success": ("success", "AUC", "Overlap threshold", "Success rate", "Success plots of OPE"),
    "prec": ("precision", "Precision", "Location error threshold (pixels)", "Precision", "Precision plots of OPE"),
    "norm_prec": ("norm_precision", "Norm. Precision", "Normalised location error threshold", "Precision",
                  "Normalised precision plots of OPE"),
}
_STYLES = ["-", "--", "-.", ":"]


def _x_values(plot_type: str, result: EvalResult) -> np.ndarray:
    if plot_type == "success":
        return result.success_thresholds
    return metrics.PRECISION_THRESHOLDS if plot_type == "prec" else metrics.NORM_PRECISION_THRESHOLDS


def _new_figure(figsize=(6.4, 5.0)):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, out_stem: PathLike, formats: Sequence[str]) -> list[Path]:
    """Save ``<out_stem>.<fmt>`` for each format atomically (temp file + fsync + rename)."""
    out_stem = Path(out_stem)
    files = []
    for fmt in formats:
        path = out_stem.with_name(f"{out_stem.name}.{fmt}")
        atomic_write(path, lambda fh, fmt=fmt: fig.savefig(fh, format=fmt, dpi=150))
        files.append(path)
    return files


def plot_curves(
    x: np.ndarray,
    curves: dict[str, np.ndarray],
    scores: dict[str, float],
    out_stem: PathLike,
    title: str,
    xlabel: str,
    ylabel: str,
    formats: Sequence[str] = ("png", "pdf"),
) -> dict[str, Any]:
    """Draw one plot (legend sorted by ``scores``, best first) and save ``<out_stem>.<fmt>``.

    Returns ``{'files': [paths], 'legend': [(label text, tracker, score), ...]}`` in legend order.
    """
    import matplotlib

    order = sorted(curves, key=lambda k: (-scores[k], k))
    fig = _new_figure()
    ax = fig.add_subplot(1, 1, 1)
    colors = matplotlib.colormaps["tab10"]
    legend = []
    for i, name in enumerate(order):
        label = f"[{scores[name]:.3f}] {name}"
        ax.plot(x, curves[name], _STYLES[(i // 10) % len(_STYLES)], color=colors(i % 10), linewidth=2, label=label)
        legend.append((label, name, float(scores[name])))
    ax.set_xlim(float(x[0]), float(x[-1]))
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, linestyle=":", linewidth=0.8)
    loc = "lower left" if "uccess" in title else "lower right"
    ax.legend(loc=loc, fontsize=9, framealpha=0.85)
    fig.tight_layout()
    files = _save(fig, out_stem, formats)
    return {"files": files, "legend": legend}


def plot_results(
    result: EvalResult,
    out_dir: PathLike,
    plot_types: Iterable[str] = ("success", "prec", "norm_prec"),
    formats: Sequence[str] = ("png", "pdf"),
    title_suffix: str | None = None,
    stem_prefix: str = "",
) -> dict[str, dict[str, Any]]:
    """The dataset plots of ``result`` into ``out_dir`` (``success_plot.png``, ``precision_plot.png``,
    ``norm_precision_plot.png`` and PDFs). Returns ``{plot_type: plot_curves(...) output}``."""
    curves = result.mean_curves()
    scores = result.scores()
    suffix = title_suffix or f"{result.dataset} ({len(result.sequences)} sequences)"
    out = {}
    for pt in plot_types:
        if pt not in PLOT_SPECS:
            raise ValueError(f"unknown plot type {pt!r}; known: {', '.join(PLOT_SPECS)}")
        key, score_name, xlabel, ylabel, title = PLOT_SPECS[pt]
        stem = Path(out_dir) / f"{stem_prefix}{key}_plot"
        out[pt] = plot_curves(
            _x_values(pt, result),
            {name: curves[key][t] for t, name in enumerate(result.trackers)},
            {name: scores[name][score_name] for name in result.trackers},
            stem, f"{title} - {suffix}", xlabel, ylabel, formats,
        )
    return out


def plot_attribute_success(
    result: EvalResult,
    attributes: dict[str, set[str]],
    out_dir: PathLike,
    attribute_names: Sequence[str],
    formats: Sequence[str] = ("png", "pdf"),
) -> dict[str, dict[str, Any]]:
    """One success plot per attribute over the sequences annotated with it (``success_<ATTR>.png``); attributes
    with no evaluated sequence are skipped. Returns ``{attribute: plot_curves(...) output + 'sequences'}``."""
    out = {}
    for attr in attribute_names:
        seqs = [s for s in sequences_with(attributes, attr) if s in result.sequences]
        if not seqs:
            continue
        sub = result.subset(seqs)
        full = OTB_ATTRIBUTE_NAMES.get(attr, attr)
        res = plot_results(sub, Path(out_dir) / "attributes", ("success",), formats,
                           title_suffix=f"{full} ({len(seqs)})", stem_prefix=f"{attr}_")["success"]
        res["sequences"] = seqs
        out[attr] = res
    return out


def epoch_ticks(epochs: Sequence[int], max_ticks: int = 12) -> list[int]:
    """X ticks for a scores-vs-epoch plot: the checkpoint epochs themselves (every k-th of them when there are more
    than ``max_ticks``, always with the first and the last), so each tick sits on a point."""
    unique = sorted(set(int(e) for e in epochs))
    if len(unique) <= max_ticks:
        return unique
    step = -(-len(unique) // max_ticks)
    index = list(range(0, len(unique), step))
    if index[-1] != len(unique) - 1:
        if len(unique) - 1 - index[-1] < step / 2:
            index.pop()  # too close to the last epoch's tick: move it there
        index.append(len(unique) - 1)
    return [unique[i] for i in index]


def scores_vs_epoch_figure(epochs: Sequence[int], series: dict[str, Sequence[float]],
                           title: str = "Scores vs epoch") -> Any:
    """The figure of :func:`plot_scores_vs_epoch` (x ticks on the checkpoint epochs, :func:`epoch_ticks`)."""
    fig = _new_figure((6.4, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    for name, values in series.items():
        ax.plot(list(epochs), list(values), "o-", linewidth=2, label=name)
    ax.set_xticks(epoch_ticks(epochs))
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Score")
    ax.set_ylim(0.0, 1.0)
    ax.set_title(title)
    ax.grid(True, linestyle=":", linewidth=0.8)
    ax.legend(loc="lower right", fontsize=9)
    fig.tight_layout()
    return fig


def plot_scores_vs_epoch(
    epochs: Sequence[int],
    series: dict[str, Sequence[float]],
    out_stem: PathLike,
    title: str = "Scores vs epoch",
    formats: Sequence[str] = ("png", "pdf"),
) -> list[Path]:
    """Line plot of each score series (e.g. AUC, Precision, Norm. Precision) against the checkpoint epoch."""
    return _save(scores_vs_epoch_figure(epochs, series, title), out_stem, formats)
