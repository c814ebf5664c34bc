"""One generic deep-feature extractor for the online trackers: any registered backbone, chosen layers.

Why one class: every tracker needs the same steps between an image crop and a feature map -- put the 0-255 RGB crops
(all scales of a frame in one batch) on the network's device, normalise them the way the backbone was trained, run
the frozen backbone once for every layer anybody needs, and unit-RMS normalise the classifier's map. What differs
is only which backbone and which layers, so those are arguments:

    feats = BackboneFeatures("mobilenetv2", output_layer="features.13", fparams=fp)
    feats.initialize("cpu")
    x = feats.extract(patches)           # [N, 96, H/16, W/16], unit RMS per sample
    feats.layer_features["features.6"]   # raw maps of ``keep_layers`` from the same pass

The backbone is given as a registered constructor name (built, with its pretrained weights, only in
:meth:`initialize`, so importing a parameter module stays cheap) or as a module. It must follow the backbone
contract of ``ltr.models.backbone``: ``forward(x, output_layers) -> OrderedDict`` plus ``out_channels`` and
``out_strides`` dicts; it may declare ``input_mean`` / ``input_std`` (default: ImageNet's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from pytracking.utils.params import Params

__all__ = ["BackboneFeatures", "IMAGENET_MEAN", "IMAGENET_STD", "normalize_unit_rms"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def normalize_unit_rms(feat: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    """Divide each sample by the root mean square of its values over (C, H, W): ``f / sqrt(mean(f^2) + eps)``."""
    ms = feat.pow(2).mean(dim=(1, 2, 3), keepdim=True)
    return feat / torch.sqrt(ms + eps)


class BackboneFeatures:
    """Frozen backbone features of 0-255 RGB crops ``[N,3,H,W]`` (N = scales or augmented views, one batch).

    Args:
        backbone: registered constructor name (e.g. ``'mobilenetv2'``) or a backbone module.
        output_layer: the layer :meth:`extract` returns (the tracker's classifier feature).
        fparams: the tracker's typed settings for this feature (e.g. ``AtomFeatureParams``: learning rate,
            filter size, ...); None = that tracker's defaults.
        keep_layers: further layers computed in the same pass; their raw maps of the last :meth:`extract` are in
            :attr:`layer_features` (e.g. the IoU-Net's inputs).
        backbone_kwargs: keyword arguments of the constructor (ignored for a module).
        normalize_power: 2 = unit-RMS normalisation of the output feature; None = none.
        channels_last: run the backbone in channels-last memory format (faster convolutions on many CPUs; same
            values up to float rounding).
    """

    def __init__(self, backbone: str | nn.Module | None, output_layer: str, fparams: Params | None = None,
                 keep_layers: Sequence[str] = (), backbone_kwargs: Mapping[str, Any] | None = None,
                 normalize_power: int | None = 2, channels_last: bool = False) -> None:
        if normalize_power not in (None, 2):
            raise ValueError(f"normalize_power must be 2 or None, got {normalize_power!r}")
        self.backbone_spec = backbone
        self.backbone_kwargs = dict(backbone_kwargs or {})
        self.output_layer = output_layer
        self.keep_layers = list(keep_layers)
        self.fparams = fparams  # None: the tracker's default feature parameters
        self.normalize_power = normalize_power
        self.channels_last = channels_last
        self.device = torch.device("cpu")
        self.net: nn.Module | None = backbone if isinstance(backbone, nn.Module) else None
        self._backbone: nn.Module | None = None
        self.layer_features: dict[str, torch.Tensor] = {}
        self.feature_layers: list[str] = []
        self._mean: torch.Tensor | None = None
        self._std: torch.Tensor | None = None
        self._initialized = False

    # ------------------------------------------------------------------ setup
    def build_backbone(self) -> nn.Module:
        """The backbone module (built from the registry on first use)."""
        if self.net is None:
            if not isinstance(self.backbone_spec, str):
                raise ValueError(f"{type(self).__name__} needs a backbone name or module, got {self.backbone_spec!r}")
            from ltr.models.registry import build_network  # lazy: building loads the pretrained weights

            self.net = build_network(self.backbone_spec, self.backbone_kwargs)
        return self.net

    def initialize(self, device: torch.device | str = "cpu") -> None:
        """Build the backbone (once), freeze it and move it to ``device`` in eval mode."""
        self.device = torch.device(device)
        net = self.build_backbone().to(self.device).eval()
        net.requires_grad_(False)
        if self.channels_last:
            net.to(memory_format=torch.channels_last)
        self._backbone = net
        strides = getattr(net, "out_strides", {})
        layers = [self.output_layer] + [n for n in self.keep_layers if n != self.output_layer]
        self.feature_layers = sorted(dict.fromkeys(layers), key=lambda n: strides.get(n, 0))
        mean = getattr(net, "input_mean", IMAGENET_MEAN)
        std = getattr(net, "input_std", IMAGENET_STD)
        self._mean = torch.tensor(mean, device=self.device).reshape(1, 3, 1, 1) * 255
        self._std = torch.tensor(std, device=self.device).reshape(1, 3, 1, 1) * 255
        self._initialized = True

    @property
    def backbone_module(self) -> nn.Module:
        if self._backbone is None:
            raise RuntimeError(f"{type(self).__name__}.initialize() must be called first")
        return self._backbone

    @property
    def stride(self) -> int:
        """Stride (input pixels per feature cell) of the output layer."""
        return int(self.backbone_module.out_strides[self.output_layer])

    @property
    def dim(self) -> int:
        """Channels of the output layer."""
        return int(self.backbone_module.out_channels[self.output_layer])

    def size(self, im_sz: torch.Tensor) -> torch.Tensor:
        """Output feature-map size for an input of ``im_sz`` pixels (``floor(im_sz / stride)``)."""
        return torch.div(torch.as_tensor(im_sz), self.stride, rounding_mode="floor")

    # ------------------------------------------------------------------ extraction
    def preprocess(self, im: torch.Tensor) -> torch.Tensor:
        """0-255 RGB ``[N,3,H,W]`` -> the backbone's normalised input on its device."""
        if not self._initialized:
            raise RuntimeError(f"{type(self).__name__}.initialize() must be called first")
        # (im / 255 - mean) / std == (im - 255 mean) / (255 std)
        x = (im.to(self.device, torch.float32) - self._mean) / self._std
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    def run_backbone(self, x: torch.Tensor, layers: list[str]) -> Mapping[str, torch.Tensor]:
        """The backbone's raw output for normalised input ``x`` (subclasses may route it through a wrapper)."""
        return self.backbone_module(x, layers)

    def backbone(self, im: torch.Tensor, layers: Sequence[str] | None = None) -> dict[str, torch.Tensor]:
        """Raw backbone features of 0-255 images for ``layers`` (default: output + kept layers), contiguous."""
        x = self.preprocess(im)
        with torch.no_grad():
            out = self.run_backbone(x, list(layers) if layers is not None else self.feature_layers)
        return {k: v.contiguous() for k, v in out.items()}

    def extract(self, im: torch.Tensor) -> torch.Tensor:
        """Output-layer features of 0-255 images (unit-RMS normalised when set); keeps all layers' raw maps."""
        feats = self.backbone(im)
        self.layer_features = feats
        out = feats[self.output_layer]
        if self.normalize_power == 2:
            out = normalize_unit_rms(out)
        return out
