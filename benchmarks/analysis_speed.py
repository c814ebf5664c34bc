"""Speed of the evaluation: parsing result files and computing the curves for many trackers x sequences.

    .venv/bin/python benchmarks/analysis_speed.py [--trackers 10] [--workers 2]

Builds 10 synthetic "trackers" on the real OTB-100 ground truth (100 sequences, 59k frames each; predictions = GT
with seeded noise, some zero-size rows) written as result files in a temporary folder, then times, in the same run:

* reference A: ``np.loadtxt`` of every result file (what a simple script does);
* our parsing, cold cache (in-process and with a process pool) and warm cache (content-hash hits);
* metrics for all trackers x sequences once parsed (both conventions), and reference B: a straightforward per-frame
  Python loop computing the same curves (checked to give identical numbers).

Figures are printed as ratios against the references measured here (no absolute-time claims).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from pytracking.analysis.extract import GroundTruth, ResultCache, TrackerSpec, load_ground_truth, load_predictions
from pytracking.analysis.results import GroundTruthBatch, curves_for_run

REPO = Path(__file__).resolve().parents[1]


def _timed(fn, repeat: int = 3):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def naive_curves(pred: np.ndarray, gt: np.ndarray) -> tuple[list[float], list[float]]:
    """Per-frame Python loop (pytracking convention, OTB): success and precision curves of one sequence."""
    n = len(gt)
    p = [list(map(float, r)) for r in pred]
    for i in range(1, n):
        if p[i][2] == 0 or p[i][3] == 0:
            p[i] = p[i - 1]
    p[0] = list(map(float, gt[0]))
    ious, errs = [], []
    for i in range(n):
        x, y, w, h = p[i]
        gx, gy, gw, gh = map(float, gt[i])
        if not (gx > 0 and gy > 0 and gw > 0 and gh > 0):
            ious.append(-1.0)
            errs.append(float("inf"))
            continue
        iw = max(0.0, min(x + w - 1, gx + gw - 1) - max(x, gx) + 1)
        ih = max(0.0, min(y + h - 1, gy + gh - 1) - max(y, gy) + 1)
        inter = iw * ih
        ious.append(inter / (w * h + gw * gh - inter))
        dx = (x + (w - 1) / 2) - (gx + (gw - 1) / 2)
        dy = (y + (h - 1) / 2) - (gy + (gh - 1) / 2)
        errs.append((dx * dx + dy * dy) ** 0.5)
    succ = [sum(1 for v in ious if v > k / 20) / n for k in range(21)]
    prec = [sum(1 for e in errs if e <= t) / n for t in range(51)]
    return succ, prec


def make_results(gts: list[GroundTruth], root: Path, num_trackers: int, seed: int = 0) -> list[TrackerSpec]:
    rng = np.random.default_rng(seed)
    specs = []
    for t in range(num_trackers):
        d = root / f"tracker{t:02d}"
        d.mkdir(parents=True)
        for g in gts:
            noise = rng.normal(0.0, 2.0 + t, size=g.boxes.shape)
            pred = np.nan_to_num(g.boxes) + noise
            pred[:, 2:] = np.abs(pred[:, 2:]) + 1
            pred[rng.random(len(pred)) < 0.01, 2] = 0  # some zero-size rows to replace
            np.savetxt(d / f"{g.name}.txt", np.rint(pred), fmt="%d", delimiter="\t")
        specs.append(TrackerSpec(d.name, [d]))
    return specs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--trackers", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    gt_root = Path(args.data) / "otb100_gt"
    if not gt_root.is_dir():
        print(f"skipped: {gt_root} not found")
        return 0
    gts = load_ground_truth("otb", root=gt_root)
    frames = sum(len(g) for g in gts)
    with tempfile.TemporaryDirectory() as tmp:
        specs = make_results(gts, Path(tmp), args.trackers)
        files = [s.box_file(0, g.name) for s in specs for g in gts]
        print(f"{len(specs)} trackers x {len(gts)} sequences = {len(files)} files, {frames * len(specs)} rows")

        t_loadtxt, _ = _timed(lambda: [np.loadtxt(f, delimiter="\t") for f in files], repeat=1)
        t_cold, _ = _timed(lambda: load_predictions(specs, gts, cache=ResultCache()), repeat=1)
        t_cold_pool, _ = _timed(lambda: load_predictions(specs, gts, workers=args.workers, cache=ResultCache()),
                                repeat=1)
        warm = ResultCache()
        load_predictions(specs, gts, cache=warm)
        t_warm, loaded = _timed(lambda: load_predictions(specs, gts, cache=warm))

        def all_metrics(conv: str):
            batch = GroundTruthBatch.build(gts)  # built once per evaluation, shared by all trackers
            return [curves_for_run([loaded.pred[t][0][s] for s in range(len(gts))], batch, "otb", conv)
                    for t in range(len(specs))]

        t_metrics, curves = _timed(lambda: all_metrics("pytracking"))
        t_metrics_tk, _ = _timed(lambda: all_metrics("otb-toolkit"))
        t0 = time.perf_counter()
        naive = [naive_curves(loaded.pred[0][0][s], gts[s].boxes) for s in range(len(gts))]
        t_naive_one = time.perf_counter() - t0
        t_naive = t_naive_one * len(specs)  # one tracker measured, scaled to all (it is linear in the trackers)
        max_diff = max(
            max(np.abs(np.array(naive[s][0]) - curves[0][0][s]).max(),
                np.abs(np.array(naive[s][1]) - curves[0][1][s]).max())
            for s in range(len(gts))
        )

    print(f"reference A  np.loadtxt of all files            : 1.00  ({len(files)} files)")
    print(f"parse, cold cache, in-process                   : {t_cold / t_loadtxt:.3f} x ref A")
    pool = f"parse, cold cache, {args.workers} worker processes"
    print(f"{pool:48s}: {t_cold_pool / t_loadtxt:.3f} x ref A")
    print(f"parse, warm cache (content-hash hits)           : {t_warm / t_loadtxt:.3f} x ref A")
    print(f"metrics, all trackers x sequences (pytracking)  : {t_metrics / t_loadtxt:.4f} x ref A")
    print(f"metrics, all trackers x sequences (otb-toolkit) : {t_metrics_tk / t_loadtxt:.4f} x ref A")
    print(f"reference B  per-frame Python loop, same curves : {t_naive / t_metrics:.0f} x slower than ours "
          f"(max |difference| {max_diff:.1e})")
    print(f"metrics time as a fraction of one second        : {t_metrics:.3f} (target: well under 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
