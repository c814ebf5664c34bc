"""The offline demo: train a small ATOM network on synthetic videos if needed, then track synthetic test videos.

    python pytracking/run_demo.py

Works on a fresh clone, on CPU, without any download:

1. looks for the newest checkpoint of ``ltr/run_training.py bbreg atom_synthetic`` under the ltr workspace
   (``<workspace_dir>/checkpoints/ltr/bbreg/atom_synthetic/``); if there is none (or ``--retrain``), runs that
   training in a subprocess first;
2. runs ``atom synthetic`` (the parameter set using that network) over the ``synthetic`` evaluation dataset (same
   generator as the training data, different seed), printing each sequence's FPS;
3. prints the overall success AUC (OTB-style: mean over the 21 IoU thresholds 0, 0.05, ..., 1 of the fraction of
   frames with IoU above the threshold, sequences weighted equally).

``success_auc`` scores with the analysis package's metric functions (``pytracking.analysis.metrics``), so the demo
and ``pytracking.analysis`` count success the same way.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence as SequenceABC
from pathlib import Path

import numpy as np

from ltr.admin.cli import cli_main
from pytracking.analysis import metrics
from pytracking.evaluation.datasets import get_dataset
from pytracking.evaluation.environment import tracking_settings_check
from pytracking.evaluation.results_io import box_file, read_boxes
from pytracking.evaluation.running import run_dataset
from pytracking.evaluation.tracker import Tracker

__all__ = ["main", "find_checkpoint", "success_auc", "overlap_inclusive"]

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


def train_command() -> list[str]:
    import ltr

    return [sys.executable, str(Path(ltr.__file__).resolve().parent / "run_training.py"), TRAIN_MODULE, TRAIN_NAME]


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


@cli_main("run_demo", check=tracking_settings_check)
def main(argv: SequenceABC[str] | None = None, tracker: Tracker | None = None,
         train_cmd: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_demo.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-sequences", type=int, default=6, help="synthetic test videos (default 6)")
    parser.add_argument("--seq-len", type=int, default=None, help="frames per video (default: generator default)")
    parser.add_argument("--threads", type=int, default=0, help="worker processes (0 = this process)")
    parser.add_argument("--retrain", action="store_true", help="train the network even if a checkpoint exists")
    parser.add_argument("--debug", type=int, default=0)
    args = parser.parse_args(argv)

    checkpoint = find_checkpoint()
    if checkpoint is None or args.retrain:
        command = train_cmd or train_command()
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
        path = box_file(tracker.results_dir, seq.name)
        if path.is_file() and seq.name in {r.sequence for r in report.done}:
            aucs.append(success_auc(read_boxes(path), seq.ground_truth_rect))
    if aucs:
        print(f"[demo] overall success AUC: {100 * np.mean(aucs):.1f}% over {len(aucs)} sequences")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
