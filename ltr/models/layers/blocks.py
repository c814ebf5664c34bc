"""Small building blocks shared by the networks.

Why a module of its own: the IoU-Net (and later heads) repeat "conv + BatchNorm + ReLU" and "linear + BatchNorm +
ReLU" many times, and the *key names* these blocks produce (``.0.weight``, ``.1.running_mean``; ``linear.weight``,
``bn.weight``) are part of the checkpoint format that users' trained networks depend on.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["conv_bn_relu", "LinearBlock"]


def conv_bn_relu(in_planes: int, out_planes: int, kernel_size: int = 3, stride: int = 1, padding: int = 1,
                 dilation: int = 1, bias: bool = True, batch_norm: bool = True, relu: bool = True) -> nn.Sequential:
    """``Sequential(Conv2d, BatchNorm2d, ReLU)``; state_dict keys ``0.weight, 0.bias, 1.*``.

    The convolution keeps its bias even though BatchNorm follows, because trained ATOM checkpoints contain it.
    """
    layers: list[nn.Module] = [nn.Conv2d(in_planes, out_planes, kernel_size=kernel_size, stride=stride,
                                         padding=padding, dilation=dilation, bias=bias)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(out_planes))
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class LinearBlock(nn.Module):
    """Fully connected layer over a ``k x k`` pooled patch, then BatchNorm and ReLU.

    Input ``[N, C, k, k]`` is flattened to ``C*k*k`` features; the output ``[N, out]`` is normalised with a
    ``BatchNorm2d`` on its ``[N, out, 1, 1]`` view (that is how the trained checkpoints store it: ``bn.*`` keys of a
    2-D BatchNorm).
    """

    def __init__(self, in_planes: int, out_planes: int, input_sz: int, bias: bool = True, batch_norm: bool = True,
                 relu: bool = True) -> None:
        super().__init__()
        self.linear = nn.Linear(in_planes * input_sz * input_sz, out_planes, bias=bias)
        self.bn = nn.BatchNorm2d(out_planes) if batch_norm else None
        self.relu = nn.ReLU(inplace=True) if relu else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.linear(x.reshape(x.shape[0], -1))
        if self.bn is not None:
            x = self.bn(x.reshape(x.shape[0], x.shape[1], 1, 1))
        if self.relu is not None:
            x = self.relu(x)
        return x.reshape(x.shape[0], -1)
