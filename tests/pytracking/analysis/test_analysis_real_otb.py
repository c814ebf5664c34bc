"""The official OTB-100 ground truth and the toolkit's published raw results (KCF, SiamFC-3s), both conventions,
cross-checked against the got10k toolkit's own metric code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pytracking.analysis.extract import ResultCache, load_ground_truth, load_predictions, specs_from_dirs
from pytracking.analysis.results import compute_results
from pytracking.evaluation.data import read_annotation
from pytracking.evaluation.otbdataset import OTB_SEQUENCES

TRACKERS = ("KCF_GaussHog", "SiamFC-3s")


@pytest.fixture(scope="module")
def otb(shared_data: Path):
    gts = load_ground_truth("otb", root=shared_data / "otb100_gt")
    specs = specs_from_dirs([shared_data / "otb100_results" / t for t in TRACKERS])
    return shared_data, gts, specs


def test_every_result_row_aligns_with_its_ground_truth(otb) -> None:
    data, gts, specs = otb
    assert len(gts) == 100
    for g in gts:
        info = next(i for i in OTB_SEQUENCES if i.name == g.name)
        assert len(g) == info.end - info.start + 1 - info.init_omit
        for t in TRACKERS:
            rows = read_annotation(data / "otb100_results" / t / f"{g.name}.txt")
            # one row per tracked frame (Tiger1: 354 annotation lines, 5 omitted, 349 rows) ...
            assert len(rows) == len(g), (t, g.name)
            # ... and row 1 is the initialisation box of the tracked range (trackers report it up to rounding)
            assert np.abs(rows[0] - g.boxes[0]).max() <= 2.0, (t, g.name, rows[0], g.boxes[0])
    tiger = next(g for g in gts if g.name == "Tiger1")
    full = read_annotation(data / "otb100_gt" / "Tiger1" / "groundtruth_rect.txt")
    assert np.array_equal(tiger.boxes, full[5:])  # annotation line 6 = first tracked frame
    kcf = read_annotation(data / "otb100_results" / "KCF_GaussHog" / "Tiger1.txt")
    assert np.abs(kcf[0] - full[0]).max() > 2.0  # and not line 1


def test_scores_under_both_conventions(otb) -> None:
    _, gts, specs = otb
    pyt = compute_results(specs, gts, "otb", "pytracking", cache=ResultCache()).scores()
    tk = compute_results(specs, gts, "otb", "otb-toolkit", cache=ResultCache()).scores()
    # the numbers the OTB toolkit prints for these published results: 0.477 (KCF) and 0.582 (SiamFC-3s)
    assert round(tk["KCF_GaussHog"]["AUC"], 3) == 0.477
    assert round(tk["SiamFC-3s"]["AUC"], 3) == 0.582
    for t in TRACKERS:
        assert abs(pyt[t]["AUC"] - tk[t]["AUC"]) < 1e-5  # no all-zero sequence and no bad prediction here
        # 10 frames have invalid GT: precision successes for the toolkit, failures for pytracking
        assert tk[t]["Precision"] > pyt[t]["Precision"]
        assert 0.6 < pyt[t]["Precision"] < 0.8 and 0.5 < pyt[t]["Norm. Precision"] < 0.8
        assert pyt[t]["OP50"] > pyt[t]["OP75"]
    assert tk["KCF_GaussHog"]["Precision"] == pytest.approx(0.6954, abs=5e-5)
    assert tk["SiamFC-3s"]["Precision"] == pytest.approx(0.7705, abs=5e-5)


def test_crosscheck_with_got10k_toolkit(otb) -> None:
    pytest.importorskip("got10k", reason="got10k toolkit not installed (pip install got10k) - cross-check skipped")
    from got10k.experiments.otb import ExperimentOTB
    from got10k.utils.metrics import center_error, rect_iou

    _, gts, specs = otb
    exp = ExperimentOTB.__new__(ExperimentOTB)  # its __init__ downloads OTB; only the curve code is used
    exp.nbins_iou, exp.nbins_ce = 21, 51
    loaded = load_predictions(specs, gts, "otb-toolkit", cache=ResultCache())
    ours = compute_results(specs, gts, "otb", "pytracking", cache=ResultCache())
    for t, spec in enumerate(specs):
        succ, prec = [], []
        for s, g in enumerate(gts):
            boxes = np.array(loaded.pred[t][0][s])
            boxes[0] = g.boxes[0]
            sc, pc = exp._calc_curves(rect_iou(boxes, g.boxes.copy()), center_error(boxes, g.boxes))
            succ.append(sc)
            prec.append(pc)
        ref_auc = float(np.mean(np.mean(succ, axis=0)))
        ref_prec = float(np.mean(prec, axis=0)[20])
        mine = ours.scores()[spec.label]
        # got10k scores invalid-GT frames like any other (Biker's negative y, Board/Twinnings zero boxes) and uses
        # np.linspace thresholds: within 1e-3 of ours, and its sequence curves equal ours wherever the GT is valid
        assert abs(ref_auc - mine["AUC"]) < 1e-3
        assert abs(ref_prec - mine["Precision"]) < 1e-3
        clean = [s for s, g in enumerate(gts) if (g.boxes > 0).all()]
        assert np.abs(np.array(succ)[clean] - ours.success[t, clean]).max() < 1e-12
        assert np.abs(np.array(prec)[clean] - ours.precision[t, clean]).max() < 1e-12


def test_lasot_and_uav_real_sequences(shared_data: Path, tmp_path: Path) -> None:
    from pytracking.analysis.extract import ResultFileError, TrackerSpec

    lasot = load_ground_truth("lasot", root=shared_data / "lasot", sequences=["motorcycle-9"])
    uav = load_ground_truth("uav10fps", root=shared_data / "uav", sequences=["wakeboard7"])
    assert len(lasot[0]) == 50 and lasot[0].visible.all() and len(uav[0]) == 67
    for g in lasot + uav:
        boxes = g.boxes.copy()
        boxes[1:, 0] += boxes[1:, 2]  # moved right by one width from frame 1 on: IoU 0, centre error = w
        (tmp_path / f"{g.name}.txt").write_text("".join("\t".join(f"{v:g}" for v in b) + "\n" for b in boxes))
    spec = [TrackerSpec("t", [tmp_path])]
    r = compute_results(spec, lasot, "lasot", cache=ResultCache())
    # only frame 0 (the GT) succeeds for overlap; normalised centre error is exactly 1 -> fails at <= 0.5
    assert r.success[0, 0, 0] == pytest.approx(1 / 50) and r.norm_precision[0, 0, 50] == pytest.approx(1 / 50)
    w = lasot[0].boxes[1:, 2]
    assert r.precision[0, 0, 50] == pytest.approx((1 + (w <= 50).sum()) / 50)
    (tmp_path / "motorcycle-9.txt").write_text("1\t1\t1\t1\n")
    with pytest.raises(ResultFileError, match="LaSOT results must cover every frame"):
        compute_results(spec, lasot, "lasot", cache=ResultCache())
    r = compute_results(spec, uav, "uav10fps", cache=ResultCache())
    assert r.success[0, 0, 0] == pytest.approx(1 / 67)
