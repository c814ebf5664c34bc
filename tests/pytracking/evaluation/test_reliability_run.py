"""Issue 13 items 2, 4, 6, 10, 12, 13 and issue 15 items 1 and 5: run_tracker checks settings, names, networks, frames
and the results folder once up front; workers die with their parent; concurrent runs split the work; the torch
thread count per sequence does not depend on --threads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from evaltest_fixtures import make_sequence

from ltr.admin.settings_errors import SettingsError
from pytracking import run_tracker
from pytracking.evaluation.datasets import get_dataset
from pytracking.evaluation.results_io import box_file, read_boxes
from pytracking.evaluation.running import run_dataset
from pytracking.evaluation.tracker import Tracker

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent


def _dataset(root: Path, count: int = 4, frames: int = 4) -> Path:
    """``seq_0..``: frame 0's top-left red value is 10 * index (how the test tracker logs which sequence it got)."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        make_sequence(root, f"seq_{i}", frames, (10 * i, 0, 0))
    return root


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A clean tracking environment: empty settings file, results under tmp, a log of initialisations."""
    settings = tmp_path / "settings.py"
    settings.write_text("")
    monkeypatch.setenv("PYTRACKING_SETTINGS_FILE", str(settings))
    monkeypatch.setenv("PYTRACKING_RESULTS_PATH", str(tmp_path / "results"))
    monkeypatch.setenv("PYTRACKING_NETWORK_PATH", str(tmp_path / "networks"))
    monkeypatch.setenv("RELIABILITY_LOG", str(tmp_path / "init.log"))
    monkeypatch.delenv("PYTRACKING_DEBUG", raising=False)
    return tmp_path


def _inits(tmp_path: Path) -> list[str]:
    log = tmp_path / "init.log"
    return log.read_text().split("\n")[:-1] if log.exists() else []


# ---- item 2: a settings-file variable naming a missing file ---------------------------------------------------------
@pytest.mark.parametrize("package", ["pytracking", "ltr"])
def test_settings_file_variable_naming_missing_file_is_an_error(package, tmp_path):
    if package == "ltr":
        from ltr.admin.environment import env_settings
    else:
        from pytracking.evaluation.environment import env_settings
    var = f"{package.upper()}_SETTINGS_FILE"
    missing = tmp_path / "typo" / "local.py"
    with pytest.raises(SettingsError, match=f"{var}={missing}: that settings file does not exist"):
        env_settings(environ={var: str(missing)})


def test_run_tracker_with_missing_settings_file_exits_2(env, monkeypatch, capsys):
    root = _dataset(env / "videos", 1)
    monkeypatch.setenv("PYTRACKING_SETTINGS_FILE", str(env / "nope.py"))
    assert run_tracker.main(["evaltest_pkg.reliability", "echo", "--dataset", f"folder:{root}"]) == 2
    err = capsys.readouterr().err
    assert f"PYTRACKING_SETTINGS_FILE={env / 'nope.py'}" in err and "Traceback" not in err
    assert not (env / "results").exists() and _inits(env) == []


# ---- item 4: results path is a file ---------------------------------------------------------------------------------
def test_results_path_that_is_a_file_fails_before_the_first_frame(env, monkeypatch, capsys):
    root = _dataset(env / "videos", 2)
    blocker = env / "results_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PYTRACKING_RESULTS_PATH", str(blocker))
    assert run_tracker.main(["evaltest_pkg.reliability", "echo", "--dataset", f"folder:{root}"]) == 2
    err = capsys.readouterr().err
    assert "results_path (PYTRACKING_RESULTS_PATH)" in err and f"is below {blocker}, which is an existing file" in err
    assert "Traceback" not in err and _inits(env) == []
    assert blocker.read_text() == "not a folder"


# ---- item 6: broken tracking settings file --------------------------------------------------------------------------
@pytest.mark.parametrize("content", ["x = 1\ny = (\n\nz = 2\n", "import os\nimport no_such_mod_xyz\n"])
def test_broken_settings_file_is_one_message_with_file_and_line_once(env, monkeypatch, capsys, content):
    root = _dataset(env / "videos", 3)
    broken = env / "broken_local.py"
    broken.write_text(content)
    monkeypatch.setenv("PYTRACKING_SETTINGS_FILE", str(broken))
    assert run_tracker.main(["evaltest_pkg.reliability", "echo", "--dataset", f"folder:{root}", "--threads", "0"]) == 2
    captured = capsys.readouterr()
    assert captured.err.count(str(broken)) == 1 and "Traceback" not in captured.err
    assert f"{broken}, line 2:" in captured.err  # the unclosed bracket / the failing import
    assert "[1/" not in captured.out and _inits(env) == []


# ---- item 13 / issue 15 item 1: names, network, frames up front -----------------------------------------------------
def test_unknown_tracker_and_parameter_names_list_what_exists(env, capsys):
    root = _dataset(env / "videos", 1)
    assert run_tracker.main(["nosuchtracker", "default", "--dataset", f"folder:{root}"]) == 2
    err = capsys.readouterr().err
    assert "unknown tracker 'nosuchtracker'" in err and "\n  atom: default" in err and "Traceback" not in err
    assert run_tracker.main(["atom", "nosuchparam", "--dataset", f"folder:{root}"]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter set 'nosuchparam' for tracker 'atom'" in err and "available: default" in err
    assert run_tracker.main(["evaltest_pkg.reliability", "echo", "--dataset", "nosuchdataset"]) == 2
    assert "unknown dataset 'nosuchdataset'; known: " in capsys.readouterr().err


def test_missing_network_is_one_message_before_any_sequence(env, capsys):
    root = _dataset(env / "videos", 3)
    assert run_tracker.main(["atom", "default", "--dataset", f"folder:{root}"]) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert err.count("network file 'atom_default.pth' not found") == 1 and "Traceback" not in err
    assert str(env / "networks" / "atom_default.pth") in err  # the folder searched
    assert "PYTRACKING_NETWORK_PATH" in err and "network_path" in err  # the setting to change
    assert "ltr/run_training.py bbreg atom" in err and "original ATOM release" in err  # how to get one
    assert "[1/" not in captured.out


def test_network_file_of_the_wrong_kind_is_refused_up_front(env, capsys):
    root = _dataset(env / "videos", 2)
    (env / "networks").mkdir()
    (env / "networks" / "atom_default.pth").write_text("this is not a network\n")
    assert run_tracker.main(["atom", "default", "--dataset", f"folder:{root}"]) == 2
    captured = capsys.readouterr()
    assert "atom_default.pth" in captured.err and "Traceback" not in captured.err and "[1/" not in captured.out


def _otb_with_gaps(shared_data: Path, root: Path, gaps: dict[str, list[int]]) -> Path:
    """``root/<Seq>`` for Crossing and Couple linking the real OTB files, without the frames listed in ``gaps``."""
    for name in ("Crossing", "Couple"):
        src = shared_data / "otb" / name
        (root / name / "img").mkdir(parents=True)
        (root / name / "groundtruth_rect.txt").symlink_to(src / "groundtruth_rect.txt")
        for frame in sorted((src / "img").iterdir()):
            if int(frame.stem) not in gaps.get(name, []):
                (root / name / "img" / frame.name).symlink_to(frame)
    return root


def test_missing_frame_is_found_before_tracking(env, shared_data, monkeypatch, capsys):
    otb = _otb_with_gaps(shared_data, env / "otb", {"Crossing": [3, 77]})
    monkeypatch.setenv("PYTRACKING_OTB_PATH", str(otb))
    args = ["evaltest_pkg.reliability", "echo", "--dataset", "otb", "--sequence", "Crossing", "--sequence", "Couple"]
    assert run_tracker.main(args) == 2
    captured = capsys.readouterr()
    assert "Crossing" in captured.err and "0003.jpg and 1 more of its 120 frames" in captured.err
    assert _inits(env) == [] and "[1/" not in captured.out
    assert run_tracker.main([*args, "--allow-missing"]) == 0
    out = capsys.readouterr().out
    assert "skipping 1 of 2 sequences with missing frame files: Crossing" in out
    results = env / "results" / "reliability" / "echo"
    assert box_file(results, "Couple").is_file() and not box_file(results, "Crossing").exists()
    assert len(_inits(env)) == 1


# ---- issue 15 item 5: torch threads per sequence do not depend on --threads -----------------------------------------
def test_torch_threads_per_sequence_same_for_any_worker_count(env):
    root = _dataset(env / "videos", 3)
    dataset = get_dataset(f"folder:{root}", report=None)
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # the parent's own setting must not leak into the results
    try:
        widths = {}
        for threads in (0, 2):
            tracker = Tracker("evaltest_pkg.reliability", "threads", results_path=env / f"r{threads}")
            assert run_dataset(dataset, [tracker], threads=threads, log=lambda s: None).ok
            widths[threads] = [read_boxes(box_file(tracker.results_dir, s.name))[:, 2].tolist() for s in dataset]
            recorded = json.loads((tracker.results_dir / "run_settings.json").read_text())
            assert recorded == {"torch_threads_per_sequence": 1}
        assert widths[0] == widths[2]
        assert all(w == 1 for seq in widths[0] for w in seq[1:])  # frames 1.. report torch.get_num_threads()
    finally:
        torch.set_num_threads(before)


# ---- items 10 and 12: real processes -------------------------------------------------------------------------------
def _spawn(env_dir: Path, root: Path, *extra: str, sleep: float = 0.3) -> subprocess.Popen:
    env = dict(os.environ)
    env.update({"PYTHONPATH": os.pathsep.join([str(REPO), str(HERE)]), "RELIABILITY_SLEEP": str(sleep),
                "OMP_NUM_THREADS": "1"})
    return subprocess.Popen([sys.executable, "-m", "pytracking.run_tracker", "evaltest_pkg.reliability", "slow",
                             "--dataset", f"folder:{root}", *extra], cwd=env_dir, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().split(b")")[-1].split()[0] != b"Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_workers_exit_when_run_tracker_is_killed(env):
    root = _dataset(env / "videos", 6, frames=20)
    proc = _spawn(env, root, "--threads", "2", sleep=0.5)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(workers) < 2:
            workers = {int(line.split()[0]) for line in _inits(env)}
            time.sleep(0.2)
        assert len(workers) == 2, "both workers should have started a sequence"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.2)
        assert not any(_alive(p) for p in workers), "worker processes outlived the killed parent"
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def test_two_concurrent_runs_split_the_sequences(env):
    root = _dataset(env / "videos", 6, frames=4)
    first, second = _spawn(env, root), _spawn(env, root)
    try:
        out1, _ = first.communicate(timeout=300)
        out2, _ = second.communicate(timeout=300)
    finally:
        for p in (first, second):
            if p.poll() is None:
                p.kill()
    assert first.returncode == 0 and second.returncode == 0, out1 + out2
    tracked = [int(line.split()[1]) // 10 for line in _inits(env)]
    assert sorted(tracked) == list(range(6)), f"each sequence exactly once, got {sorted(tracked)}\n{out1}\n{out2}"
    results = env / "results" / "reliability" / "slow"
    for i in range(6):
        assert read_boxes(box_file(results, f"seq_{i}")).tolist() == [[10, 12, 20, 16]] * 4
    assert not list(results.glob(".*.lock")) and not list(results.glob(".*.tmp"))
    assert len({int(line.split()[0]) for line in _inits(env)}) == 2  # both runs did part of the work
    assert np.all(np.asarray(tracked) >= 0)
