"""Checkpoint sweep: run one tracker parameter set with every checkpoint of a training run, then tabulate and plot.

Why: judging a training run means the success/precision of several epochs; this replaces the per-epoch shell loops
(edit the parameter file, run, move the results folder, run a toolkit). For every checkpoint matching a glob:

* results go to ``<results_path>/<tracker>/<param>__<checkpoint stem>/`` (stem = file name without ``.pth.tar`` /
  ``.pth`` / ``.pt``, e.g. ``default__ATOMnet_ep0005``). Stems that collide (same file name in two run folders) get
  the parent folder's name in front (``default__run2_ATOMnet_ep0005``); anything still ambiguous is an error, so two
  checkpoints never share a folder. Each folder records its checkpoint in ``checkpoint.json`` (absolute path, size,
  mtime); re-using a folder for a *different* checkpoint file is refused instead of silently mixing results;
* the tracker's parameters get the checkpoint as ``network_path`` (also ``net_path``, and ``net_path`` of the feature
  extractor(s) in ``params.features``) - see :func:`apply_checkpoint`; while the parameter set is being built the
  ``network_path`` setting (``PYTRACKING_NETWORK_PATH``) also names the checkpoint, for parameter sets that choose
  their network at that point (``atom synthetic``);
* sequences run through :func:`pytracking.evaluation.running.run_dataset`: resumable (finished sequences are
  skipped), parallel over ``threads`` processes, shardable across hosts (``shard='i/n'``);
* the table (AUC, Precision, Norm. Precision per checkpoint, sorted by epoch) is printed and saved with a plot of the
  scores against the epoch under ``<result_plot_path>/<report>/``. With a shard, or when some results are still
  missing, the table is skipped with a message (evaluate later with the same command or after all shards ran).

Epochs come from the file name (``ep0005``, ``epoch_5``, ``e5``) or else from the checkpoint's ``epoch`` entry.
"""

from __future__ import annotations

import glob
import importlib
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ltr.admin.atomic_io import atomic_write_text
from ltr.admin.errors import UserError
from pytracking.utils.params import Params

__all__ = [
    "CheckpointRun",
    "CheckpointParameters",
    "SweepError",
    "SweepResult",
    "apply_checkpoint",
    "checkpoint_epoch",
    "find_checkpoints",
    "run_sweep",
    "sweep_trackers",
]

PathLike = str | os.PathLike
_EPOCH_RE = re.compile(r"(?:^|[_\-.])(?:ep|epoch|e)[_\-]?(\d+)(?=$|[_\-.])", re.IGNORECASE)
_NETWORK_ENV = "PYTRACKING_NETWORK_PATH"
_SUFFIXES = (".pth.tar", ".pth", ".pt", ".tar", ".ckpt")


class SweepError(UserError, RuntimeError):
    """The sweep cannot proceed (no checkpoint matches, folder collisions, results of another checkpoint)."""


def _stem(path: Path) -> str:
    name = path.name
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def checkpoint_epoch(path: PathLike) -> int | None:
    """Epoch from the file name (``..._ep0005.pth.tar``), else the checkpoint's ``epoch`` entry, else None."""
    path = Path(path)
    m = _EPOCH_RE.search(_stem(path))
    if m:
        return int(m.group(1))
    try:
        import torch

        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - an unreadable file simply has no known epoch; the tracker reports real errors
        return None
    epoch = state.get("epoch") if isinstance(state, dict) else None
    return int(epoch) if isinstance(epoch, int) else None


@dataclass(frozen=True)
class CheckpointRun:
    path: Path
    epoch: int | None
    run_name: str  # results sub-folder (the "parameter name" of the tracker results)


def find_checkpoints(pattern: str, param_name: str) -> list[CheckpointRun]:
    """Checkpoints matching the glob ``pattern`` (``**`` allowed), sorted by (epoch, path), with unique run names."""
    paths = sorted({Path(p).resolve() for p in glob.glob(os.path.expanduser(pattern), recursive=True)
                    if Path(p).is_file()})
    if not paths:
        raise SweepError(f"no checkpoint file matches {pattern!r}")
    plain = {p: f"{param_name}__{_stem(p)}" for p in paths}
    counts = {n: list(plain.values()).count(n) for n in plain.values()}
    names = {p: plain[p] if counts[plain[p]] == 1 else f"{param_name}__{p.parent.name}_{_stem(p)}" for p in paths}
    clash = sorted({n for n in names.values() if list(names.values()).count(n) > 1})
    if clash:
        raise SweepError(f"checkpoints would share results folders {clash}; give a pattern that selects one run")
    runs = [CheckpointRun(p, checkpoint_epoch(p), names[p]) for p in paths]
    return sorted(runs, key=lambda r: (r.epoch is None, r.epoch if r.epoch is not None else 0, str(r.path)))


def apply_checkpoint(params: Any, checkpoint: PathLike) -> Any:
    """Point a parameter object at ``checkpoint``: ``network_path``, ``net_path`` and the ``net_path`` of the feature
    extractor(s) in ``params.features`` (a single extractor or one with a ``features`` list). A typed parameter object
    (:class:`pytracking.utils.params.Params`) gets only the path fields it declares; an old-style bag gets both."""
    path = str(Path(checkpoint).resolve())
    for name in ("network_path", "net_path"):
        if not isinstance(params, Params) or name in params.field_names():
            setattr(params, name, path)
    features = getattr(params, "features", None)
    extractors = [features] + list(getattr(features, "features", []) or []) if features is not None else []
    for ex in extractors:
        if ex is not None and hasattr(ex, "net_path"):
            ex.net_path = path
    return params


class CheckpointParameters:
    """Picklable parameter factory: the tracker's parameter set with ``apply_checkpoint`` applied."""

    def __init__(self, tracker_name: str, param_name: str, checkpoint: PathLike):
        self.tracker_name = tracker_name
        self.param_name = param_name
        self.checkpoint = str(checkpoint)

    def __call__(self) -> Any:
        # Parameter sets that pick their network from the ``network_path`` setting while being built (e.g.
        # ``atom synthetic``, which otherwise looks for the newest training checkpoint and fails if there is none)
        # see the checkpoint there too: the setting's env var is pointed at it for the duration of the call.
        previous = os.environ.get(_NETWORK_ENV)
        os.environ[_NETWORK_ENV] = str(Path(self.checkpoint).resolve())
        try:
            if "." in self.tracker_name:
                params = importlib.import_module(self.tracker_name).get_parameters(self.param_name)
            else:
                module = importlib.import_module(f"pytracking.parameter.{self.tracker_name}.{self.param_name}")
                params = module.parameters()
        finally:
            if previous is None:
                os.environ.pop(_NETWORK_ENV, None)
            else:
                os.environ[_NETWORK_ENV] = previous
        return apply_checkpoint(params, self.checkpoint)


def _marker(path: Path) -> dict[str, Any]:
    st = path.stat()
    return {"checkpoint": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _check_marker(results_dir: Path, run: CheckpointRun) -> None:
    marker = results_dir / "checkpoint.json"
    want = _marker(run.path)
    if marker.is_file():
        have = json.loads(marker.read_text())
        if have != want:
            raise SweepError(f"{results_dir} holds results of {have.get('checkpoint')} (size {have.get('size')}, "
                             f"mtime_ns {have.get('mtime_ns')}), not of {run.path} as it is now; move that folder "
                             f"away to re-evaluate")
    else:
        atomic_write_text(marker, json.dumps(want, indent=1) + "\n")


def sweep_trackers(tracker_name: str, param_name: str, runs: Sequence[CheckpointRun],
                   results_path: PathLike | None = None) -> list[Any]:
    """One :class:`~pytracking.evaluation.tracker.Tracker` per checkpoint (results folder = ``run.run_name``)."""
    from pytracking.evaluation.tracker import Tracker

    out = []
    for run in runs:
        label = f"{run.run_name.split('__', 1)[1]}" + (f" (ep {run.epoch})" if run.epoch is not None else "")
        out.append(Tracker(tracker_name, run.run_name, display_name=label, results_path=results_path,
                           parameters=CheckpointParameters(tracker_name, param_name, run.path)))
    return out


@dataclass
class SweepResult:
    runs: list[CheckpointRun]
    run_ok: bool
    table: list[dict[str, Any]] | None  # rows sorted by epoch, None when not evaluated
    files: list[Path]


def format_sweep_table(rows: list[dict[str, Any]]) -> str:
    header = f"{'Epoch':>6}  {'Checkpoint':<32}  {'AUC':>6}  {'Prec.':>6}  {'N.Prec.':>7}"
    lines = [header]
    for r in rows:
        ep = "-" if r["epoch"] is None else str(r["epoch"])
        lines.append(f"{ep:>6}  {r['checkpoint']:<32}  {100 * r['AUC']:6.2f}  {100 * r['Precision']:6.2f}  "
                     f"{100 * r['Norm. Precision']:7.2f}")
    return "\n".join(lines)


def run_sweep(
    tracker_name: str,
    param_name: str,
    pattern: str,
    dataset: str | Sequence[Any],
    *,
    threads: int = 0,
    shard: str | tuple[int, int] | None = None,
    debug: int = 0,
    results_path: PathLike | None = None,
    result_plot_path: PathLike | None = None,
    report_name: str | None = None,
    convention: str = "pytracking",
    sequences: Sequence[str] | None = None,
    dataset_options: dict[str, Any] | None = None,
    log: Callable[[str], None] = print,
) -> SweepResult:
    """Run and evaluate every checkpoint matching ``pattern`` (module doc). ``dataset``: a name (with
    ``dataset_options`` for its constructor, ``sequences`` to select some) or a list of ``Sequence`` objects."""
    from pytracking.analysis.extract import ground_truth_from_sequences, tracker_specs
    from pytracking.analysis.plots import plot_scores_vs_epoch
    from pytracking.analysis.results import compute_results
    from pytracking.analysis.tables import report_dir
    from pytracking.evaluation.datasets import get_dataset
    from pytracking.evaluation.running import run_dataset

    runs = find_checkpoints(pattern, param_name)
    log(f"Sweep over {len(runs)} checkpoint(s): " + ", ".join(r.path.name for r in runs))
    if isinstance(dataset, str):
        seqs = get_dataset(dataset, sequences=sequences, **(dataset_options or {}))
        dataset_name = dataset
    else:
        seqs = list(dataset)
        dataset_name = seqs[0].dataset if seqs else "dataset"
    trackers = sweep_trackers(tracker_name, param_name, runs, results_path)
    for trk, run in zip(trackers, runs, strict=True):
        _check_marker(Path(trk.results_dir), run)
    report = run_dataset(seqs, trackers, debug=debug, threads=threads, shard=shard, log=log)
    if shard is not None:
        log("Shard finished; run the sweep without --shard (or once all shards are done) to print the table.")
        return SweepResult(runs, report.ok, None, [])
    gts = ground_truth_from_sequences(seqs)
    specs = tracker_specs(trackers)
    result = compute_results(specs, gts, dataset_name, convention, skip_missing_seq=not report.ok, report=log)
    scores = result.scores()
    rows = []
    for spec, run in zip(specs, runs, strict=True):
        s = scores[spec.label]
        rows.append({"epoch": run.epoch, "checkpoint": run.path.name, "run_name": run.run_name, "AUC": s["AUC"],
                     "Precision": s["Precision"], "Norm. Precision": s["Norm. Precision"], "FPS": s["FPS"]})
    title = f"{tracker_name} {param_name}: {len(rows)} checkpoints on {dataset_name} ({len(result.sequences)} seq.)"
    log(title)
    log(format_sweep_table(rows))
    out_dir = report_dir(report_name or f"sweep_{tracker_name.rsplit('.', 1)[-1]}_{param_name}_{dataset_name}",
                         result_plot_path)
    csv_lines = ["epoch,checkpoint,run_name,AUC,Precision,Norm. Precision,FPS"]
    for r in rows:
        csv_lines.append(f"{'' if r['epoch'] is None else r['epoch']},{r['checkpoint']},{r['run_name']},"
                         f"{r['AUC']!r},{r['Precision']!r},{r['Norm. Precision']!r},{r['FPS']!r}")
    files = [atomic_write_text(out_dir / "sweep.csv", "\n".join(csv_lines) + "\n")]
    with_epoch = [r for r in rows if r["epoch"] is not None]
    if with_epoch:
        files += plot_scores_vs_epoch(
            [r["epoch"] for r in with_epoch],
            {k: [r[k] for r in with_epoch] for k in ("AUC", "Precision", "Norm. Precision")},
            out_dir / "scores_vs_epoch", title)
    log(f"saved {', '.join(str(f) for f in files)}")
    return SweepResult(runs, report.ok, rows, files)
