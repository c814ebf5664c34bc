"""A script started with a Python that lacks the project's environment fails with one line saying which Python to use.

Why: ``python pytracking/run_tracker.py`` with the system Python (the virtual environment not activated) used to end
in ``ModuleNotFoundError: No module named 'ltr'`` (or 'torch'), which does not say what to do. The scripts call
:func:`require_project_env` before importing anything else; it imports only the standard library, and the script
puts the repository root on ``sys.path`` first so that this module itself can always be imported.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["require_project_env", "REQUIRED_MODULES"]

REQUIRED_MODULES = ("numpy", "torch")


def require_project_env(script: str, modules: Sequence[str] = REQUIRED_MODULES) -> None:
    """Exit with status 2 and one message when a module the project needs cannot be imported by this Python."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    root = Path(__file__).resolve().parents[2]
    venv_python = root / ".venv" / "bin" / "python"
    try:
        shown = Path(script).resolve().relative_to(Path.cwd())
    except ValueError:
        shown = Path(script)
    if venv_python.is_file():
        fix = (f"activate .venv (source {root / '.venv' / 'bin' / 'activate'}) or use .venv/bin/python: "
               f"{venv_python} {shown} ...")
    else:
        fix = (f"there is no .venv yet: run bash {root / 'install.sh'}, then activate .venv or use .venv/bin/python "
               f"{shown} ...")
    sys.stderr.write(f"{Path(script).name}: this Python ({sys.executable}) has no module "
                     f"{', '.join(repr(m) for m in missing)}: it is not the project's environment; {fix}\n")
    raise SystemExit(2)
