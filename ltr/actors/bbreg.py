"""Actor for bounding-box regression (ATOM's IoU predictor)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from ltr.actors.base_actor import BaseActor
from ltr.admin.checkpoint import unwrap_network

__all__ = ["AtomActor"]


class AtomActor(BaseActor):
    """Regress the IoU of proposal boxes.

    ``data`` (after ``LTRLoader(stack_dim=1)``): ``train_images [Ftr,B,3,H,W]``, ``test_images [Fte,B,3,H,W]``,
    ``train_anno [Ftr,B,4]`` xywh, ``test_proposals [Fte,B,N,4]`` xywh, ``proposal_iou [Fte,B,N]`` (IoU mapped to
    ``[-1, 1]`` as ``2*IoU - 1``). The objective (default ``nn.MSELoss()``) compares the prediction, in the same
    ``[-1, 1]`` range, with ``proposal_iou``.

    ``backbone_bn_eval``: keep the (frozen) backbone's BatchNorm layers in eval mode while training. The default
    False reproduces the original ATOM training, where they stay in train mode.
    """

    def __init__(self, net: nn.Module, objective: Any = None, backbone_bn_eval: bool = False) -> None:
        super().__init__(net, objective if objective is not None else nn.MSELoss())
        self.backbone_bn_eval = bool(backbone_bn_eval)

    def train(self, mode: bool = True) -> AtomActor:
        super().train(mode)
        if mode and self.backbone_bn_eval:
            unwrap_network(self.net).feature_extractor.eval()
        return self

    def __call__(self, data: Mapping[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        iou_pred = self.net(data["train_images"], data["test_images"], data["train_anno"], data["test_proposals"])
        iou_pred = iou_pred.reshape(-1, iou_pred.shape[-1])
        iou_gt = data["proposal_iou"].reshape(-1, data["proposal_iou"].shape[-1]).to(iou_pred.dtype)
        loss = self.objective(iou_pred, iou_gt)
        value = loss.item()
        return loss, {"Loss/total": value, "Loss/iou": value}
