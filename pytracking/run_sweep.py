"""Evaluate every checkpoint of a training run: track, score, tabulate by epoch, plot scores vs epoch.

    python pytracking/run_sweep.py atom default --dataset otb --checkpoints 'workspace/checkpoints/ltr/atom/*.pth.tar'
    python pytracking/run_sweep.py atom synthetic --dataset synthetic --checkpoints 'ckpts/*_ep*.pth.tar' --threads 2
    python pytracking/run_sweep.py atom default --dataset otb --checkpoints '...' --shard 1/4   # host 1 of 4

Each checkpoint gets its own results folder ``<results_path>/<tracker>/<param>__<checkpoint stem>/``; finished
sequences are skipped, so the command is resumable and several hosts can share the results folder with ``--shard``.
Details: :mod:`pytracking.analysis.sweep`. Exit status: 0 = all tracked, 1 = some sequences failed, 2 = usage error.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Sequence

from ltr.admin.cli import cli_main
from pytracking.analysis.conventions import CONVENTIONS
from pytracking.analysis.sweep import SweepError, run_sweep
from pytracking.evaluation.data import MissingSequencesError, UnknownSequenceError
from pytracking.evaluation.environment import tracking_settings_check
from pytracking.evaluation.running import parse_shard

__all__ = ["build_parser", "main"]


def _shard(text: str) -> tuple[int, int]:
    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _option(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"--dataset-option needs KEY=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    try:
        return key, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return key, value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run_sweep.py", description="Track and evaluate every checkpoint of a run.")
    p.add_argument("tracker_name", help="tracker, e.g. atom")
    p.add_argument("tracker_param", help="parameter set, e.g. default; its network_path is set to each checkpoint")
    p.add_argument("--checkpoints", required=True, metavar="PATTERN",
                   help="glob of checkpoint files (quote it), e.g. 'workspace/checkpoints/ltr/bbreg/atom/*.pth.tar'")
    p.add_argument("--dataset", "--dataset_name", default="otb", help="dataset name (default otb)")
    p.add_argument("--dataset-option", action="append", type=_option, default=[], metavar="KEY=VALUE",
                   help="dataset constructor argument, e.g. num_sequences=3 (repeatable)")
    p.add_argument("--sequence", action="append", default=None, metavar="NAME|IDX", help="only these sequences")
    p.add_argument("--threads", type=int, default=0, help="worker processes (0 = in this process)")
    p.add_argument("--shard", type=_shard, default=None, metavar="i/n", help="run only the i-th of n slices")
    p.add_argument("--debug", type=int, default=0)
    p.add_argument("--results-path", default=None, help="override the results_path setting")
    p.add_argument("--result-plot-path", default=None, help="override the result_plot_path setting")
    p.add_argument("--report", default=None, help="report name (folder under result_plot_path)")
    p.add_argument("--convention", choices=CONVENTIONS, default="pytracking")
    return p


@cli_main("run_sweep", check=tracking_settings_check)
def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = run_sweep(args.tracker_name, args.tracker_param, args.checkpoints, args.dataset,
                           threads=args.threads, shard=args.shard, debug=args.debug, results_path=args.results_path,
                           result_plot_path=args.result_plot_path, report_name=args.report,
                           convention=args.convention, sequences=args.sequence,
                           dataset_options=dict(args.dataset_option))
    except (SweepError, MissingSequencesError, UnknownSequenceError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0 if result.run_ok else 1


if __name__ == "__main__":
    sys.exit(main())
