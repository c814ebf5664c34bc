"""run_vot (with a stand-in for the toolkit's vot helper) and the offline demo's flow and AUC."""

from __future__ import annotations

import sys
from collections import namedtuple
from types import SimpleNamespace

import numpy as np
import pytest
from evaltest_fixtures import make_sequence

from pytracking import run_demo, run_vot
from pytracking.evaluation.tracker import Tracker

Rectangle = namedtuple("Rectangle", ["x", "y", "width", "height"])
Point = namedtuple("Point", ["x", "y"])
Polygon = namedtuple("Polygon", ["points"])


def _fake_vot(frames, region):
    reports = []

    class VOT:
        def __init__(self, region_format):
            assert region_format == "rectangle"
            self._frames = list(frames)

        def region(self):
            return region

        def frame(self):
            return self._frames.pop(0) if self._frames else None

        def report(self, rect, confidence=None):
            reports.append((rect, confidence))

    return SimpleNamespace(VOT=VOT, Rectangle=Rectangle), reports


def test_run_vot_serves_a_sequence(tmp_path, monkeypatch):
    seq_dir = make_sequence(tmp_path, "s", 4, (255, 0, 0))
    frames = sorted(str(p) for p in (seq_dir / "img").glob("*.png"))
    # polygon region: corners (10,12) (30,12) (30,28) (10,28) -> box (10, 12, 20, 16)
    region = Polygon([Point(10, 12), Point(30, 12), Point(30, 28), Point(10, 28)])
    module, reports = _fake_vot(frames, region)
    n = run_vot.run_vot("evaltest_pkg.trackers", "default", vot_module=module)
    assert n == 4
    assert [tuple(r) for r, _ in reports] == [(10 + 1.5 * k, 12.0, 20.0, 16.0) for k in (1, 2, 3)]
    assert all(c == 1.0 for _, c in reports)


def test_vot_module_checks(monkeypatch):
    monkeypatch.setitem(sys.modules, "vot", SimpleNamespace(__file__="/site-packages/vot/__init__.py"))
    with pytest.raises(ImportError, match="no VOT class"):
        run_vot.load_vot_module()
    monkeypatch.setattr(run_vot.importlib.metadata, "packages_distributions", lambda: {"trax": ["trax"]})
    with pytest.raises(ImportError, match="pip install vot-trax"):
        run_vot.load_vot_module()


def test_success_auc_by_hand():
    gt = np.array([[0, 0, 10, 10]] * 4, dtype=float)
    # frame 0 -> replaced by GT (IoU 1); frame 1 exact (1); frame 2 shifted 5 px: inter 5x10=50, union 150 -> 1/3;
    # frame 3 disjoint (0). Thresholds 0..1 step .05: IoU 1 beats 20 of 21 (all but t=1), 1/3 beats t<=0.3 (7),
    # 0 beats none -> AUC = (20 + 20 + 7 + 0) / (4 * 21)
    pred = np.array([[50, 50, 3, 3], [0, 0, 10, 10], [5, 0, 10, 10], [20, 20, 10, 10]], dtype=float)
    assert run_demo.success_auc(pred, gt) == pytest.approx(47 / 84)
    np.testing.assert_allclose(run_demo.overlap_inclusive(pred[2:3], gt[2:3]), [1 / 3])
    bad_gt = gt.copy()
    bad_gt[3] = [0, 0, 0, 10]
    assert run_demo.overlap_inclusive(pred, bad_gt)[3] == -1


def test_demo_trains_when_no_checkpoint_then_tracks(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LTR_WORKSPACE_DIR", str(tmp_path / "ws"))
    ckpt_dir = run_demo.checkpoint_dir()
    assert ckpt_dir == tmp_path / "ws" / "checkpoints" / "ltr" / "bbreg" / "atom_synthetic"
    assert run_demo.find_checkpoint() is None
    fake_train = [sys.executable, "-c",
                  f"import pathlib; d = pathlib.Path({str(ckpt_dir)!r}); d.mkdir(parents=True); "
                  f"(d / 'ATOMnet_ep0002.pth.tar').write_bytes(b'x')"]
    tracker = Tracker("evaltest_pkg.trackers", "default", results_path=tmp_path / "res")
    rc = run_demo.main(["--train-synthetic", "--num-sequences", "2", "--seq-len", "8"], tracker=tracker,
                       train_cmd=fake_train)
    out = capsys.readouterr().out
    assert rc == 0
    assert "training the synthetic ATOM network first" in out
    assert "ATOMnet_ep0002.pth.tar" in out
    assert out.count("FPS:") == 2
    assert "overall success AUC" in out
    # second run: checkpoint exists -> no training
    rc = run_demo.main(["--train-synthetic", "--num-sequences", "1", "--seq-len", "5"], tracker=tracker,
                       train_cmd=["false"])
    assert rc == 0 and "training" not in capsys.readouterr().out
