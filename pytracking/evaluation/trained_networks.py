"""Find the network a parameter set should use when it tracks with a network this project trained itself.

Why shared: parameter sets such as ``atom synthetic`` and ``ostrack synthetic`` track with the newest checkpoint of one
ltr training run unless the user points the tracking ``network_path`` setting at a file; both need the same lookup and
the same message when nothing has been trained yet.
"""

from __future__ import annotations

from pathlib import Path

from pytracking.features.extractors import NetworkPathError

__all__ = ["latest_trained_network"]


def latest_trained_network(training_run: tuple[str, str], label: str) -> Path:
    """The ``network_path`` setting when it names a file, else the newest checkpoint of ``training_run``.

    ``training_run`` is ``(module, name)`` as given to ``ltr/run_training.py``; its checkpoints live in
    ``<workspace_dir>/checkpoints/ltr/<module>/<name>/``. ``label`` (e.g. ``'atom synthetic'``) names the parameter
    set in the error.

    Raises:
        NetworkPathError: no checkpoint exists yet; the message names the folder searched and the training command.
    """
    from ltr.admin.checkpoint import latest_checkpoint
    from ltr.admin.environment import env_settings as ltr_settings
    from pytracking.evaluation.environment import env_settings as tracking_settings

    configured = Path(tracking_settings().network_path).expanduser()
    if configured.is_file():
        return configured
    run_dir = Path(ltr_settings().workspace_dir) / "checkpoints" / "ltr" / training_run[0] / training_run[1]
    latest = latest_checkpoint(run_dir)
    if latest is None:
        candidates = sorted(run_dir.glob("*.pth.tar")) if run_dir.is_dir() else []
        if not candidates:
            command = f"python ltr/run_training.py {training_run[0]} {training_run[1]}"
            raise NetworkPathError(
                f"{label}: no trained network found in {run_dir} (and the network_path setting {configured} is not "
                f"a file). Train it first with `{command}`, or set PYTRACKING_NETWORK_PATH to a checkpoint file.")
        latest = candidates[-1]
    return latest
