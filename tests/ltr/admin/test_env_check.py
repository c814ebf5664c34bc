"""Scripts started with a Python lacking the project's packages say which Python to use, in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ltr.admin.env_check import require_project_env

ROOT = Path(__file__).resolve().parents[3]


def test_missing_module_names_it_and_the_fix(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        require_project_env("run_tracker.py", modules=("numpy", "no_such_module_for_this_test"))
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'no_such_module_for_this_test'" in err and "'numpy'" not in err
    assert ".venv/bin/python" in err and "activate .venv" in err
    require_project_env("run_tracker.py", modules=("numpy",))  # present: nothing happens


@pytest.mark.parametrize("script", ["pytracking/run_tracker.py", "ltr/run_training.py", "pytracking/run_sweep.py"])
def test_script_without_site_packages(script: str) -> None:
    # -S: no site-packages, like a system Python without the project's dependencies (and without `ltr` installed)
    proc = subprocess.run([sys.executable, "-S", str(ROOT / script), "atom", "default"], capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2
    assert "No module named" not in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and "use .venv/bin/python" in proc.stderr, proc.stderr
