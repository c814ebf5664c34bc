"""``python -m pytracking.export <tracker> <param> [--onnx OUT.onnx]``: export a tracker's network to ONNX.

Why a generic entry point: exporting is a property of a tracker, not of this command; a tracker package that can be
exported provides ``export_onnx(params, path) -> (path, {output: max abs difference vs PyTorch})`` (OSTrack does). The
command loads the parameter set like ``run_tracker.py`` does, writes the file and prints the check.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ltr.admin.cli import cli_main
from ltr.admin.errors import UserError
from pytracking.evaluation.environment import tracking_settings_check
from pytracking.evaluation.registry import check_tracker

__all__ = ["NotExportableError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pytracking.export", description=__doc__.splitlines()[0])
    parser.add_argument("tracker_name", help="tracker, e.g. ostrack")
    parser.add_argument("tracker_param", help="parameter set, e.g. vitb_256_mae_ce_32x4_ep300")
    parser.add_argument("--onnx", default=None, metavar="OUT.onnx",
                        help="output file (default: where the tracker's onnxruntime backend looks, e.g. "
                             "<network_path>/OSTrack_ep0300.onnx)")
    parser.add_argument("--network", default=None, metavar="FILE",
                        help="network file to export instead of the parameter set's net_path")
    parser.add_argument("--force", action="store_true", help="replace an existing output file")
    parser.add_argument("--tolerance", type=float, default=1e-4,
                        help="largest accepted difference between PyTorch and onnxruntime maps (default 1e-4)")
    return parser


class NotExportableError(UserError):
    """The tracker's package defines no ``export_onnx``."""


@cli_main("export", check=tracking_settings_check)
def main(argv: Sequence[str] | None = None) -> int:
    """Errors a user can fix (unknown names, missing network, existing output) are one line with exit code 2."""
    args = build_parser().parse_args(argv)
    from pytracking.evaluation.tracker import Tracker  # noqa: PLC0415

    check_tracker(args.tracker_name, args.tracker_param)
    tracker_pkg = importlib.import_module(f"pytracking.tracker.{args.tracker_name}")
    if not hasattr(tracker_pkg, "export_onnx"):
        raise NotExportableError(f"tracker '{args.tracker_name}' cannot be exported (its package defines no "
                                 f"export_onnx)")
    params = Tracker(args.tracker_name, args.tracker_param).get_parameters()
    params.param_name = args.tracker_param
    if args.network is not None:
        params.net_path = args.network
    path, diffs = tracker_pkg.export_onnx(params, args.onnx, overwrite=args.force)
    print(f"wrote {path}")
    worst = max((v for k, v in diffs.items() if k != "removed_indexes"), default=0.0)
    for name, value in diffs.items():
        print(f"  {name}: {'mismatched indices' if name == 'removed_indexes' else 'max |torch - onnxruntime|'} "
              f"= {value:.3g}")
    if worst > args.tolerance:
        print(f"export: onnxruntime differs from PyTorch by {worst:.3g} > {args.tolerance:g}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
