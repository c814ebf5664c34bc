"""Deep features of an ATOM network (backbone + IoU-Net) for the online tracker.

Why one extractor object: the classifier (layer3) and the IoU-Net (layer2 + layer3) read the same backbone pass. The
extractor runs the backbone once for the union of the layers, returns the classifier features and keeps the IoU-Net
backbone features of the last extraction, so the tracker never re-runs the backbone for box refinement.

:class:`ATOMNetworkFeatures` is the generic :class:`~pytracking.features.backbone_features.BackboneFeatures` applied
to an ATOM network's ``feature_extractor`` (any backbone; the IoU-Net's layers are kept); ``ATOMResNet18`` is its
historical name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from ltr.admin.errors import UserError
from pytracking.features.backbone_features import BackboneFeatures, normalize_unit_rms
from pytracking.utils.params import Params

__all__ = ["ATOMNetworkFeatures", "ATOMResNet18", "NetworkPathError", "how_to_get_network", "normalize_unit_rms",
           "resolve_network_path"]


class NetworkPathError(UserError, FileNotFoundError):
    """The tracker's network file could not be found."""


def how_to_get_network(file_name: str) -> str:
    """The sentence that tells a user how to obtain or make a network file (used in "not found" messages)."""
    original = (f"`atom default` expects {file_name}, the network file of the original ATOM release: put your copy "
                f"of it in that folder. " if file_name == "atom_default.pth" else "")
    return (f"{original}To make one, train it: `python ltr/run_training.py bbreg atom` (the published setup) or "
            f"`python ltr/run_training.py bbreg atom_synthetic` (offline, minutes on a CPU), then copy a checkpoint "
            f"from <workspace_dir>/checkpoints/ltr/bbreg/<name>/ into the folder or give its absolute path.")


def resolve_network_path(net_path: str | os.PathLike) -> Path:
    """``net_path`` as given when it is an absolute path or an existing file, else ``<network_path>/<net_path>``.

    Raises:
        NetworkPathError: naming the file, every place searched, the setting to change and how to get a network.
    """
    p = Path(net_path).expanduser()
    if p.is_absolute() or p.exists():
        if not p.exists():
            raise NetworkPathError(f"network file {p} does not exist (an absolute path is used as given). "
                                   f"{how_to_get_network(p.name)}")
        return p
    from pytracking.evaluation.environment import env_settings  # lazy: settings are only needed to load networks

    settings = env_settings()
    root = Path(settings.network_path)
    candidate = root / p
    if not candidate.exists():
        raise NetworkPathError(
            f"network file '{net_path}' not found; searched {p.resolve()} and {candidate}. The folder is the "
            f"tracking setting network_path (now {root}, from {settings.source('network_path')}): change it with "
            f"`export PYTRACKING_NETWORK_PATH=/path/to/networks` or in pytracking/evaluation/local.py, or give an "
            f"absolute file path. {how_to_get_network(p.name)}")
    return candidate


class ATOMNetworkFeatures(BackboneFeatures):
    """Features of an ATOM network: normalised classifier features + the IoU-Net's backbone features.

    Args:
        net_path: checkpoint file name (under the ``network_path`` setting) or absolute path. Ignored when ``net``
            is given.
        net: an already built ATOM network (e.g. ``atom_resnet18(backbone_pretrained=False)`` for tests).
        output_layer: classifier layer (``'layer3'`` for ResNets).
        fparams: classifier settings for this feature (the tracker's typed feature parameters, e.g.
            ``AtomFeatureParams``; None = that class's defaults).
        normalize_power: 2 = unit-RMS normalisation of the classifier features; None = none.
        channels_last: run the backbone and the IoU-Net in channels-last memory format (faster on some CPUs; same
            values up to rounding).
    """

    def __init__(self, net_path: str | os.PathLike | None = None, net: nn.Module | None = None,
                 output_layer: str = "layer3", fparams: Params | None = None,
                 normalize_power: int | None = 2, channels_last: bool = False) -> None:
        if net is None and net_path is None:
            raise ValueError(f"{type(self).__name__} needs net_path (a checkpoint) or net (a network instance)")
        super().__init__(None, output_layer, fparams, normalize_power=normalize_power, channels_last=channels_last)
        self.net_path = net_path
        self.net = net
        self.iounet_feature_layers: list[str] = []

    def build_backbone(self) -> nn.Module:
        """Load the ATOM network (once), freeze it on the target device; its ``feature_extractor`` is the backbone."""
        if self.net is None:
            from ltr.admin.loading import load_network  # lazy: keeps feature imports light

            self.net, _ = load_network(resolve_network_path(self.net_path))
        self.net = self.net.to(self.device).eval()
        for p in self.net.parameters():
            p.requires_grad_(False)
        if self.channels_last and hasattr(self.net, "bb_regressor"):
            # the IoU-Net's convolutions read the backbone's channels-last maps: with their weights in the same
            # layout, no convolution converts its weights on every call (ATOM on Crossing: 1-2% per frame)
            self.net.bb_regressor.to(memory_format=torch.channels_last)
        self.iounet_feature_layers = list(getattr(self.net, "bb_regressor_layer", ["layer2", "layer3"]))
        self.keep_layers = list(self.iounet_feature_layers)
        return self.net.feature_extractor

    def run_backbone(self, x: torch.Tensor, layers: list[str]) -> Mapping[str, torch.Tensor]:
        return self.net.extract_backbone_features(x, layers)

    @property
    def iou_predictor(self) -> nn.Module:
        """The network's IoU predictor (``bb_regressor``)."""
        if self.net is None:
            raise RuntimeError(f"{type(self).__name__}.initialize() must be called first")
        return self.net.bb_regressor

    @property
    def iounet_backbone_features(self) -> list[torch.Tensor] | None:
        """The IoU-Net's input maps from the last :meth:`extract` (None before the first)."""
        if not self.layer_features:
            return None
        return [self.layer_features[layer] for layer in self.iounet_feature_layers]


ATOMResNet18 = ATOMNetworkFeatures  # the historical name (ATOM's published networks use ResNet-18)
