"""Cross-check the OTB-100 scores against an implementation this project does not control: the got10k toolkit.

    .venv/bin/python benchmarks/otb_crosscheck.py [--data ../shared/data]

Feeds the same row-aligned boxes (published KCF and SiamFC-3s raw results, official OTB-100 ground truth) to
got10k's own metric code (``got10k.utils.metrics.rect_iou`` / ``center_error`` and ``ExperimentOTB._calc_curves``,
averaged over sequences the way its ``report`` does) and prints, per tracker:

* our scores under both conventions (pytracking, otb-toolkit);
* got10k's scores;
* our metric functions run with got10k's conventions (no invalid-frame rules, no replacement of bad predictions,
  thresholds ``np.linspace(0, 1, 21)``): this must equal got10k to ~1e-12, which shows that every remaining difference
  comes from the conventions, not from the arithmetic;
* how many frames each convention difference touches.

got10k's ExperimentOTB itself cannot be run here (it downloads the images and expects ``len(results) ==
len(annotation)``, which fails for Tiger1's 5 omitted frames), hence its functions are called directly.
Exits 0 with a message when got10k is not installed (``pip install got10k``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from pytracking.analysis import metrics
from pytracking.analysis.extract import load_ground_truth, load_predictions, specs_from_dirs
from pytracking.analysis.results import compute_results

REPO = Path(__file__).resolve().parents[1]


def got10k_scores(preds, gts) -> dict[str, float]:
    from got10k.experiments.otb import ExperimentOTB
    from got10k.utils.metrics import center_error, rect_iou

    exp = ExperimentOTB.__new__(ExperimentOTB)  # __init__ would download OTB; only the curve code is needed
    exp.nbins_iou, exp.nbins_ce = 21, 51
    succ, prec = [], []
    for p, g in zip(preds, gts, strict=True):
        boxes = np.array(p, dtype=np.float64)
        anno = np.array(g, dtype=np.float64)
        boxes[0] = anno[0]
        s, c = exp._calc_curves(rect_iou(boxes, anno), center_error(boxes, anno))
        succ.append(s)
        prec.append(c)
    succ_curve, prec_curve = np.mean(succ, axis=0), np.mean(prec, axis=0)
    return {"AUC": float(np.mean(succ_curve)), "Precision": float(prec_curve[20]),
            "OP50": float(succ_curve[21 // 2])}


def ours_with_got10k_conventions(preds, gts) -> dict[str, float]:
    thr = np.linspace(0, 1, 21)
    succ, prec = [], []
    for p, g in zip(preds, gts, strict=True):
        boxes = np.array(p, dtype=np.float64)
        boxes[0] = g[0]
        n = len(g)
        seq = np.zeros(n, dtype=np.int64)
        iou = np.clip(np.nan_to_num(metrics.box_iou(boxes, g), nan=0.0), 0, 1)
        succ.append(metrics.success_curves(iou, seq, [n], thr)[0])
        prec.append(metrics.precision_curves(metrics.center_error(boxes, g), seq, [n])[0])
    succ_curve, prec_curve = np.mean(succ, axis=0), np.mean(prec, axis=0)
    return {"AUC": float(succ_curve.mean()), "Precision": float(prec_curve[20]), "OP50": float(succ_curve[10])}


def _row(name: str, values) -> str:
    if isinstance(values, dict):
        cells = [f"{values[k]:9.6f}" for k in ("AUC", "OP50", "Precision")]
    else:
        cells = [f"{v:>9}" for v in values]
    return f"  {name:30s} " + " ".join(cells)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    args = ap.parse_args(argv)
    data = Path(args.data)
    gt_root, res_root = data / "otb100_gt", data / "otb100_results"
    if not gt_root.is_dir():
        print(f"skipped: OTB-100 ground truth not found at {gt_root}")
        return 0
    gts = load_ground_truth("otb", root=gt_root)
    specs = specs_from_dirs(sorted(p for p in res_root.iterdir() if p.is_dir()))
    ours = {c: compute_results(specs, gts, "otb", c).scores() for c in ("pytracking", "otb-toolkit")}
    loaded = load_predictions(specs, gts, "otb-toolkit")
    try:
        import got10k  # noqa: F401
        have_got10k = True
    except ImportError:
        have_got10k = False
        print("got10k is not installed (pip install got10k): printing our numbers only")
    invalid_gt = sum(int((~(g.boxes > 0).all(axis=1)).sum()) for g in gts)
    print(f"OTB-100: {len(gts)} sequences, {sum(len(g) for g in gts)} frames, {invalid_gt} frames with invalid GT")
    for t, spec in enumerate(specs):
        preds = [loaded.pred[t][0][s] for s in range(len(gts))]
        bad_pred = sum(int(((p[1:, 2] <= 0) | (p[1:, 3] <= 0) | np.isnan(p[1:]).any(axis=1)).sum()) for p in preds)
        print(f"\n{spec.label}  ({bad_pred} predictions with NaN or w/h <= 0 after frame 1)")
        print(_row("", ("AUC", "OP50", "Prec@20")))
        for conv in ("pytracking", "otb-toolkit"):
            print(_row("ours, " + conv, ours[conv][spec.label]))
        mimic = ours_with_got10k_conventions(preds, [g.boxes for g in gts])
        print(_row("ours, got10k conventions", mimic))
        if have_got10k:
            ref = got10k_scores(preds, [g.boxes for g in gts])
            print(_row("got10k toolkit", ref))
            diff = max(abs(ref[k] - mimic[k]) for k in ref)
            print(f"  max |got10k - ours(got10k conventions)| = {diff:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
