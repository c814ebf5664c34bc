"""Command line: score trackers' result files on a dataset, print/save the table, optionally draw the plots.

    python -m pytracking.analysis.evaluate --dataset otb --trackers atom:default atom:other
    python -m pytracking.analysis.evaluate --dataset otb --dataset-root ../shared/data/otb100_gt \\
        --result-dirs ../shared/data/otb100_results/KCF_GaussHog ../shared/data/otb100_results/SiamFC-3s \\
        --convention otb-toolkit --plots --report otb_published

``--trackers name:param[:RUNIDS]`` reads ``<results_path>/<name>/<param>[_<runid:03d>]``; several run ids
(``atom:default:0-4``) are averaged per sequence (one row). ``--result-dirs`` takes raw result folders, each folder's
name is the tracker name. Exit status: 0 on success, 2 on usage errors (unknown dataset, missing result files or
ground truth, malformed result files; the message names them).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ltr.admin.cli import cli_main
from ltr.admin.settings_errors import SettingsError
from pytracking.analysis.conventions import CONVENTIONS
from pytracking.analysis.extract import (
    MissingResultsError,
    ResultCache,
    ResultFileError,
    TrackerSpec,
    parse_tracker_arg,
    specs_from_dirs,
)
from pytracking.analysis.tables import ALL_PLOT_TYPES, print_results, report_dir
from pytracking.evaluation.environment import tracking_settings_check

__all__ = ["build_parser", "main", "specs_from_args"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m pytracking.analysis.evaluate",
                                description="Evaluate tracking results: table (stdout, CSV, Markdown) and plots.")
    p.add_argument("--dataset", default="otb", help="dataset name (otb, uav, nfs, lasot, got10k_val, synthetic, "
                                                    "folder:<path>, ...); default otb")
    p.add_argument("--dataset-root", default=None,
                   help="ground-truth root overriding the dataset's path setting (images are not needed)")
    p.add_argument("--trackers", nargs="*", default=[], metavar="NAME:PARAM[:RUNIDS]",
                   help="trackers under the results path, e.g. atom:default atom:default:0-4")
    p.add_argument("--result-dirs", nargs="*", default=[], metavar="DIR",
                   help="raw result folders (<seq>.txt each); the folder name is the tracker name")
    p.add_argument("--results-path", default=None, help="root of the results (default: the results_path setting)")
    p.add_argument("--convention", choices=CONVENTIONS, default="pytracking",
                   help="evaluation convention (see pytracking/analysis/README.md); default pytracking")
    p.add_argument("--plots", action="store_true", help="also draw success / precision / norm. precision plots")
    p.add_argument("--plot-types", nargs="*", default=list(ALL_PLOT_TYPES), choices=ALL_PLOT_TYPES,
                   help="metrics to show/plot (default: all)")
    p.add_argument("--attributes", default=None,
                   help="per-sequence attribute files (folder of <Seq>.txt, CSV or JSON) for per-attribute plots")
    p.add_argument("--report", default=None, help="report name: outputs go to <result_plot_path>/<report>/")
    p.add_argument("--result-plot-path", default=None, help="override the result_plot_path setting")
    p.add_argument("--sequence", action="append", default=None, metavar="NAME",
                   help="evaluate only this sequence (repeatable)")
    p.add_argument("--skip-missing", action="store_true",
                   help="evaluate only the sequences every tracker has and whose ground truth is on disk (the "
                        "others are listed) instead of failing")
    p.add_argument("--exclude-invalid-frames", action="store_true",
                   help="drop frames without valid ground truth from the counts (pytracking option)")
    p.add_argument("--per-sequence", choices=("all", "most_different"), default=None,
                   help="also print the per-sequence AUC table (all, or the 10 where trackers differ most)")
    p.add_argument("--workers", type=int, default=0, help="processes for parsing result files (0: in-process)")
    p.add_argument("--cache-dir", default=None, help="keep parsed files here (content-hashed .npy) between runs")
    return p


def specs_from_args(args: argparse.Namespace) -> list[TrackerSpec]:
    from pytracking.evaluation.tracker import Tracker

    trackers = []
    for text in args.trackers:
        name, param, runs = parse_tracker_arg(text)
        if runs:
            group = [Tracker(name, param, r, results_path=args.results_path) for r in runs]
            trackers.append(TrackerSpec(f"{name} {param}", [Path(t.results_dir) for t in group]))
        else:
            t = Tracker(name, param, results_path=args.results_path)
            trackers.append(TrackerSpec(t.label, [Path(t.results_dir)]))
    return trackers + specs_from_dirs(args.result_dirs)


@cli_main("evaluate", check=tracking_settings_check)
def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        specs = specs_from_args(args)
        if not specs:
            raise ValueError("give at least one tracker (--trackers NAME:PARAM) or result folder (--result-dirs)")
        report = args.report or f"{args.dataset.replace(':', '_').replace('/', '_')}_{args.convention}"
        cache = ResultCache(args.cache_dir) if args.cache_dir else None
        from pytracking.analysis.extract import load_ground_truth

        gts = load_ground_truth(args.dataset, root=args.dataset_root, sequences=args.sequence,
                                allow_missing=args.skip_missing)
        result = print_results(specs, gts, report, plot_types=args.plot_types, convention=args.convention,
                               exclude_invalid_frames=args.exclude_invalid_frames,
                               skip_missing_seq=args.skip_missing, result_plot_path=args.result_plot_path,
                               per_sequence=args.per_sequence, workers=args.workers, cache=cache)
        out_dir = report_dir(report, args.result_plot_path)
        if args.dataset.lower().startswith("got10k"):
            from pytracking.analysis.results import got10k_results

            kept = [g for g in gts if g.name in result.sequences]
            print("GOT-10k metrics (continuous IoU, frame 0 and absent frames excluded, frames pooled):")
            for label, s in got10k_results(specs, kept, cache=cache, workers=args.workers).items():
                print(f"  {label}: AO {100 * s['AO']:.2f}  SR@0.5 {100 * s['SR50']:.2f}  SR@0.75 {100 * s['SR75']:.2f}")
        if args.plots:
            from pytracking.analysis.plots import plot_results

            plot_results(result, out_dir, args.plot_types)
            if args.attributes:
                from pytracking.analysis.attributes import LASOT_ATTRIBUTES, OTB_ATTRIBUTES, load_attributes
                from pytracking.analysis.plots import plot_attribute_success

                names = LASOT_ATTRIBUTES if args.dataset.lower().startswith("lasot") else OTB_ATTRIBUTES
                attrs = load_attributes(args.attributes, result.sequences, names)
                plot_attribute_success(result, attrs, out_dir, names)
        print(f"saved tables{' and plots' if args.plots else ''} to {out_dir}")
    except (MissingResultsError, ResultFileError, FileNotFoundError, ValueError, KeyError, SettingsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
