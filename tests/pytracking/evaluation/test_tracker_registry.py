"""Tracker discovery: --list, and unknown tracker / parameter-set names fail up front listing what exists."""

from __future__ import annotations

import os
import sys

import pytest

import pytracking.parameter
import pytracking.tracker
from pytracking.evaluation.registry import UnknownTrackerError, available_trackers, check_tracker
from pytracking.run_tracker import main


def test_discovers_trackers_and_parameter_sets_from_files(tmp_path, monkeypatch):
    # the real tree: every parameter module file of atom, and no 'base' pseudo-tracker
    real = available_trackers()
    atom_dir = pytracking.parameter.__path__[0] + "/atom"
    expected = sorted(f[:-3] for f in os.listdir(atom_dir) if f.endswith(".py") and not f.startswith("_"))
    assert real["atom"] == expected and "base" not in real
    # a new tracker is found by adding its own folders, nothing else
    (tmp_path / "trk" / "newtrk").mkdir(parents=True)
    (tmp_path / "trk" / "newtrk" / "__init__.py").write_text("raise ImportError('never imported by discovery')\n")
    (tmp_path / "par" / "newtrk").mkdir(parents=True)
    for name in ("fast", "_helpers", "accurate"):
        (tmp_path / "par" / "newtrk" / f"{name}.py").write_text("")
    monkeypatch.setattr(pytracking.tracker, "__path__", [*pytracking.tracker.__path__, str(tmp_path / "trk")])
    monkeypatch.setattr(pytracking.parameter, "__path__", [*pytracking.parameter.__path__, str(tmp_path / "par")])
    assert available_trackers()["newtrk"] == ["accurate", "fast"]
    check_tracker("newtrk", "fast")


def test_unknown_names_list_what_exists():
    with pytest.raises(UnknownTrackerError, match=r"(?s)unknown tracker 'atm' \(did you mean atom\?\).*atom: default"):
        check_tracker("atm", "default")
    with pytest.raises(UnknownTrackerError,
                       match=r"(?s)'defualt' for tracker 'atom' \(did you mean default.*synthetic"):
        check_tracker("atom", "defualt")
    check_tracker("atom", "default")
    check_tracker("mypkg.mytracker", "anything")  # dotted module paths supply their own sets


def test_run_tracker_list_and_up_front_error(capsys, monkeypatch):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "atom: default, default_vot" in out

    def no_dataset(*_a, **_k):  # the name check happens before any data is touched
        raise AssertionError("dataset loaded before the tracker name was checked")

    monkeypatch.setattr(sys.modules["pytracking.run_tracker"], "get_dataset", no_dataset)
    assert main(["atom", "nosuchparams", "--dataset", "otb"]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter set 'nosuchparams'" in err and "multiscale_no_iounet" in err
    with pytest.raises(SystemExit):
        main(["atom"])
