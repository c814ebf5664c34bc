"""OSTrack with the tiny network trained on synthetic videos (`ltr/run_training.py ostrack ostrack_synthetic`).

Network: the pytracking ``network_path`` setting when it names a file; otherwise the newest checkpoint of that ltr run,
``<workspace_dir>/checkpoints/ltr/ostrack/ostrack_synthetic/*.pth.tar`` (the checkpoint records its network, so any
tiny size loads). Crops as published (template 2x, search 4x) at that training setup's 64 / 128 px.
"""

from __future__ import annotations

from pathlib import Path

from pytracking.features.extractors import NetworkPathError
from pytracking.tracker.ostrack.params import OSTrackParams

__all__ = ["TRAINING_RUN", "parameters", "synthetic_network_path"]

TRAINING_RUN = ("ostrack", "ostrack_synthetic")
TRAIN_COMMAND = "python ltr/run_training.py ostrack ostrack_synthetic"


def synthetic_network_path() -> Path:
    """The checkpoint this parameter set uses (see the module docstring).

    Raises:
        NetworkPathError: no checkpoint exists yet; the message names the folder searched and the training command.
    """
    from ltr.admin.checkpoint import latest_checkpoint
    from ltr.admin.environment import env_settings as ltr_settings
    from pytracking.evaluation.environment import env_settings as tracking_settings

    configured = Path(tracking_settings().network_path).expanduser()
    if configured.is_file():
        return configured
    run_dir = Path(ltr_settings().workspace_dir) / "checkpoints" / "ltr" / TRAINING_RUN[0] / TRAINING_RUN[1]
    latest = latest_checkpoint(run_dir)
    if latest is None:
        candidates = sorted(run_dir.glob("*.pth.tar")) if run_dir.is_dir() else []
        if not candidates:
            raise NetworkPathError(
                f"ostrack synthetic: no trained network found in {run_dir} (and the network_path setting "
                f"{configured} is not a file). Train it first with `{TRAIN_COMMAND}`, or set PYTRACKING_NETWORK_PATH "
                f"to a checkpoint file.")
        latest = candidates[-1]
    return latest


def parameters() -> OSTrackParams:
    """``ostrack synthetic``."""
    return OSTrackParams(net_path=str(synthetic_network_path()), constructor="ostrack", template_factor=2.0,
                         template_size=64, search_factor=4.0, search_size=128)
