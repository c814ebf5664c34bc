"""Deep feature extraction for the online trackers (ResNet-18 backbone of an ATOM network).

Why one extractor object: the classifier (layer3) and the IoU-Net (layer2 + layer3) read the same backbone pass. The
extractor runs the backbone once for the union of the layers, returns the classifier features and keeps the IoU-Net
backbone features of the last extraction, so the tracker never re-runs the backbone for box refinement.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from ltr.admin.errors import UserError
from pytracking.utils.params import Params

__all__ = ["ATOMResNet18", "NetworkPathError", "how_to_get_network", "normalize_unit_rms", "resolve_network_path"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
LAYER_STRIDE = {"conv1": 2, "layer1": 4, "layer2": 8, "layer3": 16, "layer4": 32}
LAYER_DIM_RESNET18 = {"conv1": 64, "layer1": 64, "layer2": 128, "layer3": 256, "layer4": 512}


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


def normalize_unit_rms(feat: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    """Divide each sample by the root mean square of its values over (C, H, W): ``f / sqrt(mean(f^2) + eps)``."""
    ms = feat.pow(2).mean(dim=(1, 2, 3), keepdim=True)
    return feat / torch.sqrt(ms + eps)


class ATOMResNet18:
    """ResNet-18 features of an ATOM network: normalised classifier features + IoU-Net backbone features.

    Args:
        net_path: checkpoint file name (under the ``network_path`` setting) or absolute path. Ignored when ``net``
            is given.
        net: an already built ATOM network (e.g. ``atom_resnet18(backbone_pretrained=False)`` for tests).
        output_layer: classifier layer (``'layer3'``).
        fparams: classifier settings for this feature (the tracker's typed feature parameters, e.g.
            ``AtomFeatureParams``; None = that class's defaults).
        normalize_power: 2 = unit-RMS normalisation of the classifier features; None = none.
        channels_last: run the backbone in channels-last memory format (faster on some CPUs; same values).
    """

    def __init__(self, net_path: str | os.PathLike | None = None, net: nn.Module | None = None,
                 output_layer: str = "layer3", fparams: Params | None = None,
                 normalize_power: int | None = 2, channels_last: bool = False) -> None:
        if net is None and net_path is None:
            raise ValueError("ATOMResNet18 needs net_path (a checkpoint) or net (a network instance)")
        if normalize_power not in (None, 2):
            raise ValueError(f"normalize_power must be 2 or None, got {normalize_power!r}")
        self.net_path = net_path
        self.net = net
        self.output_layer = output_layer
        self.fparams = fparams  # None: the tracker's default feature parameters
        self.normalize_power = normalize_power
        self.channels_last = channels_last
        self.device = torch.device("cpu")
        self.iounet_backbone_features: list[torch.Tensor] | None = None
        self._mean: torch.Tensor | None = None
        self._std: torch.Tensor | None = None
        self._initialized = False

    # ------------------------------------------------------------------ setup
    def initialize(self, device: torch.device | str = "cpu") -> None:
        """Load the network (once) and move it to ``device`` in eval mode."""
        self.device = torch.device(device)
        if self.net is None:
            from ltr.admin.loading import load_network  # lazy: keeps feature imports light

            self.net, _ = load_network(resolve_network_path(self.net_path))
        self.net = self.net.to(self.device).eval()
        for p in self.net.parameters():
            p.requires_grad_(False)
        if self.channels_last:
            self.net.feature_extractor.to(memory_format=torch.channels_last)
        self.iounet_feature_layers = list(getattr(self.net, "bb_regressor_layer", ["layer2", "layer3"]))
        self.feature_layers = sorted(set([self.output_layer] + self.iounet_feature_layers),
                                     key=lambda n: LAYER_STRIDE.get(n, 0))
        self._mean = torch.tensor(IMAGENET_MEAN, device=self.device).reshape(1, 3, 1, 1) * 255
        self._std = torch.tensor(IMAGENET_STD, device=self.device).reshape(1, 3, 1, 1) * 255
        self._initialized = True

    @property
    def iou_predictor(self) -> nn.Module:
        """The network's IoU predictor (``bb_regressor``)."""
        if self.net is None:
            raise RuntimeError("ATOMResNet18.initialize() must be called first")
        return self.net.bb_regressor

    @property
    def stride(self) -> int:
        return LAYER_STRIDE[self.output_layer]

    @property
    def dim(self) -> int:
        return LAYER_DIM_RESNET18[self.output_layer]

    def size(self, im_sz: torch.Tensor) -> torch.Tensor:
        """Classifier feature-map size for an input of ``im_sz`` pixels."""
        return torch.div(torch.as_tensor(im_sz), self.stride, rounding_mode="floor")

    # ------------------------------------------------------------------ extraction
    def preprocess(self, im: torch.Tensor) -> torch.Tensor:
        """0-255 RGB ``[N,3,H,W]`` -> ImageNet-normalised input on the network's device."""
        if not self._initialized:
            raise RuntimeError("ATOMResNet18.initialize() must be called first")
        # (im / 255 - mean) / std == (im - 255 mean) / (255 std)
        x = (im.to(self.device, torch.float32) - self._mean) / self._std
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def backbone(self, im: torch.Tensor, layers: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        """Raw backbone features of 0-255 images for ``layers`` (default: classifier + IoU-Net layers)."""
        x = self.preprocess(im)
        with torch.no_grad():
            out = self.net.extract_backbone_features(x, list(layers) if layers is not None else self.feature_layers)
        return {k: v.contiguous() for k, v in out.items()}

    def extract(self, im: torch.Tensor) -> torch.Tensor:
        """Classifier features ``[N, 256, H/16, W/16]`` of 0-255 images; stores the IoU-Net backbone features."""
        feats = self.backbone(im)
        self.iounet_backbone_features = [feats[layer] for layer in self.iounet_feature_layers]
        out = feats[self.output_layer]
        if self.normalize_power == 2:
            out = normalize_unit_rms(out)
        return out
