"""ATOM with the published settings (OTB/NFS/UAV/LaSOT configuration).

The published values are the defaults of :class:`~pytracking.tracker.atom.params.AtomParams` (the one place they are
stated); this set only chooses the network and the classifier feature.
"""

from __future__ import annotations

from pytracking.features.extractors import ATOMResNet18
from pytracking.tracker.atom.params import AtomFeatureParams, AtomParams

__all__ = ["base_parameters", "parameters"]


def base_parameters(net_path: str = "atom_default.pth") -> AtomParams:
    """The published ATOM settings with the classifier on ResNet-18 layer3 of the network ``net_path``."""
    params = AtomParams()
    params.net_path = net_path
    params.features = ATOMResNet18(net_path=net_path, output_layer="layer3", fparams=AtomFeatureParams(),
                                   normalize_power=2, channels_last=True)  # faster backbone on CPUs, same values
    return params


def parameters() -> AtomParams:
    """``atom default``."""
    return base_parameters()
