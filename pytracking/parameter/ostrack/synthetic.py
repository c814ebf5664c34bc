"""OSTrack with the tiny network trained on synthetic videos (`ltr/run_training.py ostrack ostrack_synthetic`).

Network: the pytracking ``network_path`` setting when it names a file; otherwise the newest checkpoint of that ltr run,
``<workspace_dir>/checkpoints/ltr/ostrack/ostrack_synthetic/*.pth.tar`` (the checkpoint records its network, so any
tiny size loads). Crops as published (template 2x, search 4x) at that training setup's 64 / 128 px.
"""

from __future__ import annotations

from pathlib import Path

from pytracking.evaluation.trained_networks import latest_trained_network
from pytracking.tracker.ostrack.params import OSTrackParams

__all__ = ["TRAINING_RUN", "parameters", "synthetic_network_path"]

TRAINING_RUN = ("ostrack", "ostrack_synthetic")


def synthetic_network_path() -> Path:
    """The checkpoint this parameter set uses (see the module docstring)."""
    return latest_trained_network(TRAINING_RUN, "ostrack synthetic")


def parameters() -> OSTrackParams:
    """``ostrack synthetic``."""
    return OSTrackParams(net_path=str(synthetic_network_path()), constructor="ostrack", template_factor=2.0,
                         template_size=64, search_factor=4.0, search_size=128)
