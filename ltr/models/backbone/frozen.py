"""A backbone that can be frozen: no gradients, and BatchNorm always normalises with its stored statistics.

Why a mixin: the wheel backbones (MobileNetV2, EfficientNet-Lite0) serve as fixed ImageNet feature extractors whose
BatchNorm statistics must not drift when a training run puts the whole network in train mode; the rule is the same for
every such backbone.
"""

from __future__ import annotations

from typing import TypeVar

from torch import nn

__all__ = ["FreezableBackbone"]

B = TypeVar("B", bound="FreezableBackbone")


class FreezableBackbone(nn.Module):
    """``nn.Module`` whose :meth:`freeze` turns off gradients and keeps every BatchNorm in eval mode from then on."""

    frozen: bool = False

    def freeze(self) -> None:
        """No gradients for any parameter; BatchNorms switch to (and stay in) eval mode."""
        self.frozen = True
        self.requires_grad_(False)
        self.train(self.training)

    def train(self: B, mode: bool = True) -> B:
        """Like ``nn.Module.train``; a frozen network keeps every BatchNorm in eval mode."""
        super().train(mode)
        if mode and self.frozen:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self
