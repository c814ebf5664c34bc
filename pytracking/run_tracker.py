"""Run a tracker over a dataset (or some of its sequences) and write the result files.

    python pytracking/run_tracker.py atom default --dataset otb
    python -m pytracking.run_tracker atom default --dataset otb --sequence Couple --debug 1
    python pytracking/run_tracker.py atom synthetic --dataset synthetic --threads 2 --shard 1/2
    python pytracking/run_tracker.py --list          # trackers and their parameter sets

Results go to ``<results_path>/<tracker>/<param>[_<runid:03d>]/<seq>.txt`` (see ``pytracking/evaluation/README.md``).
Exit status: 0 when every sequence was tracked or already done, 1 if any sequence failed, 2 on usage errors
(unknown tracker/parameter set/dataset/sequence, missing benchmark files).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence as SequenceABC
from pathlib import Path

from ltr.admin.cli import cli_main
from pytracking.evaluation.datasets import get_dataset
from pytracking.evaluation.environment import env_settings, tracking_settings_check
from pytracking.evaluation.preflight import check_tracker, preflight
from pytracking.evaluation.registry import format_available
from pytracking.evaluation.running import DEFAULT_TORCH_THREADS, parse_shard, run_dataset
from pytracking.evaluation.tracker import Tracker
from pytracking.utils.params import Params

__all__ = ["main", "build_parser", "str2bool"]

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def str2bool(text: str) -> bool:
    """Parse a command-line boolean: true/false, 1/0, yes/no, on/off (any case). ``bool('false')`` would be True."""
    value = str(text).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected a boolean (true/false, 1/0, yes/no, on/off), got {text!r}")


def _shard(text: str) -> tuple[int, int]:
    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def add_visdom_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--use_visdom", "--use-visdom", type=str2bool, default=True, metavar="true|false",
                        help="show debug blocks in visdom when --debug > 0 (default: true)")
    parser.add_argument("--visdom_server", "--visdom-server", default="127.0.0.1", help="visdom host")
    parser.add_argument("--visdom_port", "--visdom-port", type=int, default=8097, help="visdom port")


def visdom_info_from(args: argparse.Namespace) -> dict:
    return {"use_visdom": args.use_visdom, "server": args.visdom_server, "port": args.visdom_port}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_tracker.py", description="Run a tracker on a tracking dataset and save the result files."
    )
    parser.add_argument("tracker_name", nargs="?", help="tracker, e.g. atom (pytracking/tracker/<name>)")
    parser.add_argument("tracker_param", nargs="?",
                        help="parameter set, e.g. default (pytracking/parameter/<name>/<param>.py)")
    parser.add_argument("--list", action="store_true", help="list the trackers and their parameter sets, then exit")
    parser.add_argument("--runid", type=int, default=None, help="run id: results go to <param>_<runid:03d>")
    parser.add_argument("--dataset", "--dataset_name", default="otb",
                        help="dataset: otb, nfs, uav, uav10fps, lasot, got10k_test, got10k_val, trackingnet, vot, "
                             "synthetic, or folder:<path> (default: otb)")
    parser.add_argument("--sequence", action="append", default=None, metavar="NAME|IDX",
                        help="run only this sequence (name or index); repeat for several")
    parser.add_argument("--debug", type=int, default=0, help="debug level (0 = off)")
    parser.add_argument("--threads", type=int, default=0, help="worker processes (0 = run in this process)")
    parser.add_argument("--torch-threads", "--torch_threads", dest="torch_threads", type=_positive_int,
                        default=DEFAULT_TORCH_THREADS, metavar="N",
                        help="torch threads while tracking one sequence, the same whatever --threads is, so results "
                             f"do not depend on it (default {DEFAULT_TORCH_THREADS}; recorded in the results folder)")
    parser.add_argument("--save-float", "--save_float", dest="save_float", action="store_true",
                        help="store boxes with full float precision instead of integers")
    parser.add_argument("--shard", type=_shard, default=None, metavar="i/n",
                        help="run only the i-th of n interleaved slices of the sequences (1 <= i <= n)")
    parser.add_argument("--allow-missing", "--allow_missing", dest="allow_missing", action="store_true",
                        help="skip (and list) sequences whose files are absent instead of stopping")
    parser.add_argument("--max-frames", "--max_frames", dest="max_frames", type=_positive_int, default=None,
                        metavar="N", help="track only the first N frames of each sequence (debugging); the partial "
                                          "results go to <results_path>/first_<N>_frames/")
    parser.add_argument("--backend", default=None, metavar="NAME",
                        help="where the tracker's network runs, for trackers with a 'backend' parameter (ostrack: "
                             "torch | onnxruntime); results go to <results_path>/backend_<NAME>/")
    add_visdom_arguments(parser)
    return parser


class ParameterOverrides:
    """Picklable parameter factory: the named parameter set with some of its settings replaced (e.g. ``--backend``).

    A setting the parameter set does not have is an error naming it, so ``--backend`` on a tracker without backends
    fails instead of being ignored; a parameter type with a ``validate()`` method checks the new values.
    """

    def __init__(self, tracker_name: str, param_name: str, **overrides: object) -> None:
        self.tracker_name = tracker_name
        self.param_name = param_name
        self.overrides = overrides

    def __call__(self) -> object:
        params = Tracker(self.tracker_name, self.param_name).get_parameters()
        for name, value in self.overrides.items():
            declared = name in params.field_names() if isinstance(params, Params) else hasattr(params, name)
            if not declared:
                raise ValueError(f"parameter set '{self.tracker_name} {self.param_name}' has no setting {name!r} "
                                 f"(option --{name} does not apply to this tracker)")
            setattr(params, name, value)
        validate = getattr(params, "validate", None)
        if callable(validate):
            validate()
        return params


@cli_main("run_tracker", check=tracking_settings_check)
def main(argv: SequenceABC[str] | None = None) -> int:
    """Parse ``argv``, check everything up front (settings, names, network, frames, results folder), then track.

    Errors a user can fix are printed once as one message with exit code 2 (:func:`ltr.admin.cli.cli_main`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list:
        print("trackers (parameter sets):\n" + format_available())
        return 0
    if args.tracker_name is None or args.tracker_param is None:
        parser.error("give a tracker and a parameter set (e.g. `atom default`), or --list")
    settings = env_settings()  # a broken settings file is reported here, once, before any sequence starts
    results_path = None
    if args.max_frames is not None:  # partial runs must never pass for finished results (skip-existing)
        results_path = Path(settings.results_path) / f"first_{args.max_frames}_frames"
    parameters = None
    if args.backend is not None:  # another backend's boxes must not pass for (or be skipped as) the default's
        parameters = ParameterOverrides(args.tracker_name, args.tracker_param, backend=args.backend)
        results_path = Path(results_path or settings.results_path) / f"backend_{args.backend}"
    tracker = Tracker(args.tracker_name, args.tracker_param, args.runid, results_path=results_path,
                      parameters=parameters)
    check_tracker(tracker)  # names, parameters and network first: cheap, and wrong names are the usual typo
    dataset = get_dataset(args.dataset, sequences=args.sequence, allow_missing=args.allow_missing)
    if not dataset:
        raise ValueError(f"no sequences to run in dataset {args.dataset!r}")
    if args.max_frames is not None:
        for seq in dataset:
            seq.frames = seq.frames[: args.max_frames]
    sequences = preflight([tracker], dataset, allow_missing=args.allow_missing, check_trackers=False)
    if not sequences:
        raise ValueError(f"no sequences left to run in dataset {args.dataset!r} (all have missing frame files)")
    report = run_dataset(
        sequences,
        [tracker],
        debug=args.debug,
        threads=args.threads,
        visdom_info=visdom_info_from(args),
        save_float=args.save_float,
        shard=args.shard,
        torch_threads=args.torch_threads,
    )
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
