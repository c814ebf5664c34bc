"""ATOM with the network trained offline on synthetic videos (``python ltr/run_training.py bbreg atom_synthetic``).

Network: the pytracking ``network_path`` setting when it names a file; otherwise the newest checkpoint of that ltr run,
``<workspace_dir>/checkpoints/ltr/bbreg/atom_synthetic/*.pth.tar``. Everything else is ``atom default``.
"""

from __future__ import annotations

from pathlib import Path

from pytracking.evaluation.trained_networks import latest_trained_network
from pytracking.parameter.atom.default import base_parameters
from pytracking.tracker.atom.params import AtomParams

__all__ = ["TRAINING_RUN", "parameters", "synthetic_network_path"]

TRAINING_RUN = ("bbreg", "atom_synthetic")


def synthetic_network_path() -> Path:
    """The checkpoint this parameter set uses (see the module docstring)."""
    return latest_trained_network(TRAINING_RUN, "atom synthetic")


def parameters() -> AtomParams:
    """``atom synthetic``."""
    return base_parameters(net_path=str(synthetic_network_path()))
