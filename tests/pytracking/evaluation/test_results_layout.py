"""One results sub-folder per dataset: run_dataset writes it, evaluate / export read it and the older flat layout
alike; evaluate finds results left under the built-in default results folder; result folders get tracker labels."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from evaltest_fixtures import make_folder_dataset

from pytracking.analysis import evaluate, export
from pytracking.analysis.extract import specs_from_dirs
from pytracking.evaluation.datasets import get_dataset
from pytracking.evaluation.running import run_dataset
from pytracking.evaluation.tracker import Tracker

TRACKER = "evaltest_pkg.trackers:default"


@pytest.fixture
def tracked(tmp_path):
    root = make_folder_dataset(tmp_path / "videos")
    results = tmp_path / "results"
    run_dataset(get_dataset(f"folder:{root}", report=None),
                [Tracker("evaltest_pkg.trackers", "default", results_path=results)], log=lambda _: None)
    return root, results


def _auc(root: Path, out: Path, *extra: str) -> float:
    code = evaluate.main(["--dataset", f"folder:{root}", "--trackers", TRACKER, "--result-plot-path", str(out),
                          "--report", "r", *extra])
    assert code == 0
    with open(out / "r" / "results.csv") as fh:
        return float(next(csv.DictReader(fh))["AUC"])


def test_new_and_old_layouts_give_the_same_scores(tracked, tmp_path):
    root, results = tracked
    run = results / "trackers" / "default"
    assert sorted(p.name for p in run.iterdir() if p.is_dir()) == ["folder"]  # the dataset's own sub-folder
    new = _auc(root, tmp_path / "a", "--results-path", str(results))
    for f in (run / "folder").iterdir():  # the layout written before per-dataset folders
        shutil.move(str(f), str(run / f.name))
    (run / "folder").rmdir()
    old = _auc(root, tmp_path / "b", "--results-path", str(results))
    assert new == old and 0 < new <= 1
    # export resolves the run folder the same way
    assert export.main(["--format", "pysot", "--trackers", TRACKER, "--results-path", str(results),
                        "--out", str(tmp_path / "x")]) == 0
    assert (tmp_path / "x" / "evaltest_pkg.trackers_default" / "seq_a.txt").is_file()


def test_evaluate_reads_the_default_results_folder_when_the_setting_moved(tracked, tmp_path, monkeypatch, capsys):
    root, results = tracked
    monkeypatch.setattr(evaluate, "default_results_path", lambda: results)  # where the demo wrote its results
    monkeypatch.setenv("PYTRACKING_RESULTS_PATH", str(tmp_path / "workspace2" / "tracking_results"))  # create_local
    assert _auc(root, tmp_path / "c") > 0
    assert "reading " + str(results / "trackers" / "default") in capsys.readouterr().out
    # an explicit --results-path is taken at its word
    assert evaluate.main(["--dataset", f"folder:{root}", "--trackers", TRACKER, "--results-path",
                          str(tmp_path / "elsewhere"), "--result-plot-path", str(tmp_path / "d")]) == 2


def test_result_dir_labels(tmp_path):
    for d in ("res/atom/synthetic/otb", "res/KCF_GaussHog", "res/other/thing"):
        (tmp_path / d).mkdir(parents=True)
    dirs = [tmp_path / "res/atom/synthetic", tmp_path / "res/atom/synthetic/otb", tmp_path / "res/KCF_GaussHog",
            tmp_path / "res/other/thing"]
    assert [s.label for s in specs_from_dirs(dirs)] == ["atom synthetic", "atom synthetic", "KCF_GaussHog", "thing"]
