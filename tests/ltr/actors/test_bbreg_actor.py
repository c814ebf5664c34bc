"""AtomActor: MSE between predicted and target IoU, stats keys, backbone BatchNorm mode setting."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ltr.actors import AtomActor
from ltr.models.bbreg.atom import atom_resnet18


class _FixedNet(nn.Module):
    """Returns a known prediction so the loss can be checked by hand."""

    def __init__(self, pred: torch.Tensor) -> None:
        super().__init__()
        self.pred = pred
        self.seen = None

    def forward(self, train_images, test_images, train_anno, test_proposals):
        self.seen = (train_images.shape, test_images.shape, train_anno.shape, test_proposals.shape)
        return self.pred


def test_loss_is_mse_on_iou_and_stats() -> None:
    pred = torch.tensor([[[0.5, -0.5, 1.0], [0.0, 0.2, -1.0]]])  # [Fte=1, B=2, N=3]
    target = torch.tensor([[[0.5, 0.5, 0.0], [0.0, 0.0, -1.0]]])
    net = _FixedNet(pred)
    data = {"train_images": torch.zeros(1, 2, 3, 8, 8), "test_images": torch.zeros(1, 2, 3, 8, 8),
            "train_anno": torch.zeros(1, 2, 4), "test_proposals": torch.zeros(1, 2, 3, 4), "proposal_iou": target}
    loss, stats = AtomActor(net)(data)
    expected = (0 + 1.0 + 1.0 + 0 + 0.04 + 0) / 6
    assert loss.item() == pytest.approx(expected)
    assert stats == {"Loss/total": pytest.approx(expected), "Loss/iou": pytest.approx(expected)}
    assert net.seen == ((1, 2, 3, 8, 8), (1, 2, 3, 8, 8), (1, 2, 4), (1, 2, 3, 4))


def test_backbone_bn_mode_setting() -> None:
    net = atom_resnet18(backbone_pretrained=None)
    AtomActor(net).train()
    assert net.feature_extractor.bn1.training  # default: the original behaviour
    assert net.bb_regressor.conv3_1r[1].training
    AtomActor(net, backbone_bn_eval=True).train()
    assert not net.feature_extractor.bn1.training and not net.feature_extractor.layer3[0].bn2.training
    assert net.bb_regressor.conv3_1r[1].training
    AtomActor(net).eval()
    assert not net.bb_regressor.conv3_1r[1].training


def test_real_network_gradient_reaches_only_iou_net() -> None:
    torch.manual_seed(0)
    net = atom_resnet18(iou_inter_dim=(32, 32), backbone_pretrained=None)
    actor = AtomActor(net)
    actor.train()
    data = {"train_images": torch.randn(1, 2, 3, 64, 64), "test_images": torch.randn(1, 2, 3, 64, 64),
            "train_anno": torch.tensor([[[16.0, 16.0, 30.0, 24.0], [8.0, 12.0, 20.0, 30.0]]]),
            "test_proposals": torch.rand(1, 2, 4, 4) * 20 + 8, "proposal_iou": torch.rand(1, 2, 4) * 2 - 1}
    loss, _ = actor(data)
    loss.backward()
    assert net.bb_regressor.iou_predictor.weight.grad is not None
    assert net.feature_extractor.conv1.weight.grad is None
