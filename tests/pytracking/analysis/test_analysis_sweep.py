"""Checkpoint sweep: one results folder per checkpoint, resumable, table by epoch with hand-computed scores."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest
from analysistest_pkg.ckpt_tracker import save_shift_checkpoint, static_sequences

from pytracking.analysis.sweep import SweepError, apply_checkpoint, checkpoint_epoch, find_checkpoints, run_sweep
from pytracking.utils.params import TrackerParams

TRACKER = "analysistest_pkg.ckpt_tracker"


def _auc(iou_after_first: float, frames: int = 6) -> float:
    """Success AUC of a sequence whose frame 0 has IoU 1 and the other frames ``iou_after_first``."""
    above = sum(1 for k in range(21) if iou_after_first > k / 20)
    return (20 + (frames - 1) * above) / (21 * frames)


@pytest.fixture()
def checkpoints(tmp_path: Path) -> Path:
    # shift 0 / 4 / 10 px of a 20x20 box: IoU 1, (20-4)/(20+4) = 2/3, (20-10)/(20+10) = 1/3
    root = tmp_path / "ckpts"
    for epoch, shift in ((3, 10.0), (1, 0.0), (2, 4.0)):
        save_shift_checkpoint(root / f"ShiftNet_ep{epoch:04d}.pth.tar", shift, epoch)
    return root


def test_checkpoint_names_and_epochs(tmp_path: Path, checkpoints: Path) -> None:
    runs = find_checkpoints(str(checkpoints / "*.pth.tar"), "default")
    assert [r.epoch for r in runs] == [1, 2, 3]
    assert [r.run_name for r in runs] == ["default__ShiftNet_ep0001", "default__ShiftNet_ep0002",
                                          "default__ShiftNet_ep0003"]
    # same file name in two run folders: the parent folder disambiguates, so folders never collide
    other = tmp_path / "run2"
    save_shift_checkpoint(other / "ShiftNet_ep0001.pth.tar", 1.0, 1)
    names = {r.run_name for r in find_checkpoints(str(tmp_path / "*" / "ShiftNet_ep0001.pth.tar"), "p")}
    assert names == {"p__ckpts_ShiftNet_ep0001", "p__run2_ShiftNet_ep0001"}
    # no epoch in the name: read from the checkpoint itself
    save_shift_checkpoint(tmp_path / "final.pth", 0.0, 7)
    assert checkpoint_epoch(tmp_path / "final.pth") == 7
    with pytest.raises(SweepError, match="no checkpoint file matches"):
        find_checkpoints(str(tmp_path / "nothing*.pth"), "p")


def test_apply_checkpoint_sets_network_paths(tmp_path: Path) -> None:
    class Extractor:
        net_path = "atom_default.pth"

    params = TrackerParams()
    params.features = Extractor()
    apply_checkpoint(params, tmp_path / "x.pth.tar")
    want = str((tmp_path / "x.pth.tar").resolve())
    assert params.network_path == want and params.net_path == want and params.features.net_path == want


def test_apply_checkpoint_on_typed_params_sets_only_declared_fields(tmp_path: Path) -> None:
    from pytracking.parameter.atom.default import parameters

    params = parameters()  # AtomParams: declares net_path, not network_path (setting it would be an error)
    apply_checkpoint(params, tmp_path / "y.pth.tar")
    want = str((tmp_path / "y.pth.tar").resolve())
    assert params.net_path == want and params.features.net_path == want


def test_sweep_table_resume_and_marker(tmp_path: Path, checkpoints: Path) -> None:
    lines: list[str] = []
    seqs = static_sequences(num=2, length=6)
    kwargs = dict(results_path=tmp_path / "results", result_plot_path=tmp_path / "plots", report_name="sw",
                  log=lines.append)
    result = run_sweep(TRACKER, "default", str(checkpoints / "*.pth.tar"), seqs, **kwargs)
    assert result.run_ok
    expected_auc = [_auc(1.0), _auc(2 / 3), _auc(1 / 3)]
    assert [r["epoch"] for r in result.table] == [1, 2, 3]
    assert [r["AUC"] for r in result.table] == pytest.approx(expected_auc, abs=1e-12)
    assert [r["Precision"] for r in result.table] == pytest.approx([1.0, 1.0, 1.0])  # centre errors 0, 4, 10 px
    # normalised: 0, 4/20 = 0.2 (<= 0.2 counts), 10/20 = 0.5 (only frame 0 succeeds)
    assert [r["Norm. Precision"] for r in result.table] == pytest.approx([1.0, 1.0, 1 / 6])
    text = "\n".join(lines)
    table = text[text.index("Epoch"):].splitlines()
    assert [ln.split()[0] for ln in table[1:4]] == ["1", "2", "3"]
    assert f"{100 * expected_auc[1]:6.2f}" in table[2]
    for epoch in (1, 2, 3):
        folder = tmp_path / "results" / "ckpt_tracker" / f"default__ShiftNet_ep{epoch:04d}"
        assert (folder / "static_0.txt").is_file() and (folder / "checkpoint.json").is_file()
    with open(tmp_path / "plots" / "sw" / "sweep.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["AUC"]) for r in rows] == pytest.approx(expected_auc)
    assert (tmp_path / "plots" / "sw" / "scores_vs_epoch.png").stat().st_size > 1000

    # resumable: a second run tracks nothing and reports the same table
    lines.clear()
    again = run_sweep(TRACKER, "default", str(checkpoints / "*.pth.tar"), seqs, **kwargs)
    assert sum("exists, skipped" in ln for ln in lines) == 6
    assert [r["AUC"] for r in again.table] == pytest.approx(expected_auc)

    # a different checkpoint file under an existing folder's name is refused (results would be mixed)
    save_shift_checkpoint(checkpoints / "ShiftNet_ep0002.pth.tar", 7.5, 2)
    with pytest.raises(SweepError, match="holds results of"):
        run_sweep(TRACKER, "default", str(checkpoints / "*.pth.tar"), seqs, **kwargs)


def test_sweep_cli_parallel_on_synthetic(tmp_path: Path, checkpoints: Path, capsys) -> None:
    from pytracking import run_sweep as cli

    code = cli.main([TRACKER, "default", "--checkpoints", str(checkpoints / "ShiftNet_ep000[12].pth.tar"),
                     "--dataset", "synthetic", "--dataset-option", "num_sequences=2", "--dataset-option",
                     "seq_len=5", "--threads", "2", "--results-path", str(tmp_path / "r"),
                     "--result-plot-path", str(tmp_path / "p")])
    out = capsys.readouterr().out
    assert code == 0
    table = out[out.index("Epoch"):].splitlines()
    assert [ln.split()[1] for ln in table[1:3]] == ["ShiftNet_ep0001.pth.tar", "ShiftNet_ep0002.pth.tar"]
    # shift 0 predicts the initial box forever; the synthetic target moves, so shift 4 cannot be better everywhere,
    # but both rows are real numbers in [0, 1]
    aucs = [float(ln.split()[2]) for ln in table[1:3]]
    assert all(0.0 <= a <= 100.0 for a in aucs)
    assert code == 0 and cli.main([TRACKER, "default", "--checkpoints", str(tmp_path / "none*.pth")]) == 2


def _atom_available() -> bool:
    return (importlib.util.find_spec("pytracking.parameter.atom.synthetic") is not None
            and importlib.util.find_spec("pytracking.tracker.atom.atom") is not None)


@pytest.mark.slow
@pytest.mark.skipif(not _atom_available(), reason="ATOM tracker / 'atom synthetic' parameters not available yet")
def test_sweep_over_an_atom_synthetic_training_run(tmp_path: Path) -> None:
    """A real (tiny) ``atom_synthetic`` training run, then ``run_sweep.py`` over its checkpoints with ATOM."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[3]
    train = subprocess.run(
        [sys.executable, str(repo / "ltr" / "run_training.py"), "bbreg", "atom_synthetic", "--epochs", "3",
         "--samples-per-epoch", "8", "--batch-size", "4", "--workers", "0", "--workspace", str(tmp_path / "ws")],
        capture_output=True, text=True, timeout=120)
    assert train.returncode == 0, train.stdout[-2000:] + train.stderr[-2000:]
    ckpts = tmp_path / "ws" / "checkpoints" / "ltr" / "bbreg" / "atom_synthetic"
    assert len(list(ckpts.glob("*.pth.tar"))) == 3
    sweep = subprocess.run(
        [sys.executable, str(repo / "pytracking" / "run_sweep.py"), "atom", "synthetic", "--dataset", "synthetic",
         "--dataset-option", "num_sequences=1", "--dataset-option", "seq_len=4", "--checkpoints",
         str(ckpts / "*.pth.tar"), "--results-path", str(tmp_path / "r"), "--result-plot-path", str(tmp_path / "p"),
         "--report", "sweep"],
        capture_output=True, text=True, timeout=120)
    assert sweep.returncode == 0, sweep.stdout[-3000:] + sweep.stderr[-3000:]
    table = sweep.stdout[sweep.stdout.index(" Epoch"):].splitlines()
    assert [ln.split()[:2] for ln in table[1:4]] == [["1", "ATOMnet_ep0001.pth.tar"], ["2", "ATOMnet_ep0002.pth.tar"],
                                                     ["3", "ATOMnet_ep0003.pth.tar"]]
    assert all(0.0 <= float(v) <= 100.0 for ln in table[1:4] for v in ln.split()[2:5])
    for epoch in (1, 2, 3):
        assert (tmp_path / "r" / "atom" / f"synthetic__ATOMnet_ep{epoch:04d}" / "synthetic_000.txt").is_file()
    assert (tmp_path / "p" / "sweep" / "scores_vs_epoch.png").is_file()
