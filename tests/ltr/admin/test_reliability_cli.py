"""Issue 13 item 5: every CLI turns expected errors into one message + exit 2 through one shared mechanism; real bugs
keep their traceback; ``--traceback`` / ``PYTRACKING_DEBUG=1`` show it for expected errors too."""

from __future__ import annotations

import argparse
import importlib

import pytest

from ltr.admin.errors import UserError

CLI_MODULES = [
    "ltr.run_training", "ltr.admin.create_local", "pytracking.create_local", "pytracking.run_tracker",
    "pytracking.run_video", "pytracking.run_webcam", "pytracking.run_vot", "pytracking.run_sweep",
    "pytracking.run_demo", "pytracking.analysis.evaluate", "pytracking.utils.start_visdom",
]


@pytest.mark.parametrize("module", CLI_MODULES)
def test_every_cli_reports_expected_errors_as_one_line_exit_2(module, monkeypatch, capsys):
    main = importlib.import_module(module).main

    def fail(self, args=None, namespace=None):
        raise UserError("setting 'x' names /nowhere")

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", fail)
    monkeypatch.delenv("PYTRACKING_DEBUG", raising=False)
    monkeypatch.delenv("LTR_DEBUG", raising=False)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("error: setting 'x' names /nowhere") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("module", ["pytracking.run_tracker", "ltr.run_training"])
def test_traceback_flag_and_debug_variable_show_the_traceback(module, monkeypatch, capsys):
    main = importlib.import_module(module).main
    seen = []

    def fail(self, args=None, namespace=None):
        seen.append(list(args))
        raise UserError("bad input")

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", fail)
    monkeypatch.delenv("PYTRACKING_DEBUG", raising=False)
    assert main(["a", "--traceback", "b"]) == 2
    assert seen[-1] == ["a", "b"]  # the flag is consumed by the shared wrapper
    assert "Traceback" in capsys.readouterr().err
    monkeypatch.setenv("PYTRACKING_DEBUG", "1")
    assert main(["a"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_real_bugs_keep_their_traceback(monkeypatch):
    from pytracking import run_tracker

    def bug(self, args=None, namespace=None):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", bug)
    with pytest.raises(ZeroDivisionError):
        run_tracker.main([])


@pytest.mark.parametrize("device", ["cuda:7", "nosuchdevice"])
def test_run_training_missing_device_is_one_message(device, tmp_path, capsys):
    from ltr import run_training

    code = run_training.main(["bbreg", "atom_synthetic", "--device", device, "--workspace", str(tmp_path / "ws")])
    assert code == 2
    err = capsys.readouterr().err
    assert f"--device '{device}'" in err and "Traceback" not in err
    assert not (tmp_path / "ws").exists()  # nothing was done before the check
