"""Actor for OSTrack: one-stream ViT with candidate elimination, trained with focal + GIoU + L1 losses.

The candidate-elimination (CE) keep rate is warmed up over epochs (:func:`ce_keep_rate`): the first epochs train
without eliminating any search token, then the fraction kept falls along a half cosine to its final value. The
trainer tells the actor the epoch through :meth:`OSTrackActor.set_epoch` before each pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ltr.actors.base_actor import BaseActor
from ltr.models.loss.box import DegenerateBoxesError, box_cxcywh_to_xyxy, box_xywh_to_xyxy, giou_loss
from ltr.models.loss.focal import focal_loss

__all__ = ["OSTrackActor", "ce_keep_rate", "DEFAULT_LOSS_WEIGHTS"]

#: Published weights of the three loss terms.
DEFAULT_LOSS_WEIGHTS: dict[str, float] = {"giou": 2.0, "l1": 5.0, "focal": 1.0}


def ce_keep_rate(epoch: int, start_epoch: int = 20, warm_epochs: int = 80, base_keep_rate: float = 0.7) -> float:
    """Fraction of search tokens each CE block keeps in (1-based) ``epoch``.

    ``epoch < start_epoch``: 1 (no elimination); ``start_epoch <= epoch < start_epoch + warm_epochs``:
    ``base + (1 - base) * (cos(pi * (epoch - start_epoch) / warm_epochs) + 1) / 2`` (exactly 1 at ``start_epoch``);
    afterwards ``base``.
    """
    if epoch < start_epoch:
        return 1.0
    if epoch >= start_epoch + warm_epochs:
        return float(base_keep_rate)
    progress = (epoch - start_epoch) / warm_epochs
    return float(base_keep_rate + (1.0 - base_keep_rate) * (math.cos(progress * math.pi) + 1.0) * 0.5)


class OSTrackActor(BaseActor):
    """Runs the network on a template/search batch and computes the published objective.

    ``data`` (``LTRLoader(stack_dim=0)`` batches of :class:`~ltr.data.processing_ostrack.OSTrackProcessing`):
    ``template_images [B,3,Tz,Tz]``, ``search_images [B,3,Tx,Tx]``, ``search_anno [B,4]`` (normalised
    ``[x1, y1, w, h]``), ``search_label [B,F,F]`` (Gaussian).

    Loss: ``w_giou * (1 - GIoU) + w_l1 * L1 + w_focal * focal`` between the network's decoded box (``pred_boxes``,
    cx/cy/w/h from the raw score map) and the GT box as ``[x1, y1, x2, y2]`` clamped to ``[0, 1]``, and between
    ``score_map`` and the label. If the GIoU cannot be computed (a degenerate predicted box) its term is 0 for the
    batch, as in the published code. A non-finite predicted box raises ``FloatingPointError`` (the trainer's
    fail-safe retries the epoch from the last checkpoint).

    Args:
        net: network with ``forward(template, search, ce_template_mask=, ce_keep_rate=) -> dict``.
        template_mask_fn: ``(batch, device) -> [batch, Nz] bool`` query mask for CE (published: the template's centre
            token); None passes no mask.
        loss_weights: ``{'giou', 'l1', 'focal'}`` weights (default :data:`DEFAULT_LOSS_WEIGHTS`).
        keep_rate_fn: epoch -> keep rate (default :func:`ce_keep_rate` with the published constants); None-returning
            or absent means no override (the network's own ratios).
    """

    def __init__(self, net: nn.Module, template_mask_fn: Callable[[int, torch.device], torch.Tensor] | None = None,
                 loss_weights: Mapping[str, float] | None = None,
                 keep_rate_fn: Callable[[int], float | None] | None = ce_keep_rate) -> None:
        super().__init__(net, objective=None)
        weights = dict(DEFAULT_LOSS_WEIGHTS if loss_weights is None else loss_weights)
        missing = [k for k in DEFAULT_LOSS_WEIGHTS if k not in weights]
        if missing:
            raise ValueError(f"OSTrackActor: loss_weights lacks {missing} (got {sorted(weights)})")
        self.loss_weights = weights
        self.template_mask_fn = template_mask_fn
        self.keep_rate_fn = keep_rate_fn
        self.epoch = 0
        self.keep_rate: float | None = None

    def set_epoch(self, epoch: int) -> None:
        """Called by the trainer before each pass: sets the CE keep rate of this (1-based) epoch."""
        self.epoch = int(epoch)
        self.keep_rate = self.keep_rate_fn(self.epoch) if self.keep_rate_fn is not None else None

    def __call__(self, data: Mapping[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        template, search = data["template_images"], data["search_images"]
        mask = self.template_mask_fn(template.shape[0], template.device) if self.template_mask_fn else None
        out = self.net(template, search, ce_template_mask=mask, ce_keep_rate=self.keep_rate)
        return self.compute_losses(out, data["search_anno"], data["search_label"])

    def compute_losses(self, out: Mapping[str, torch.Tensor], search_anno: torch.Tensor,
                       search_label: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        """The objective for network outputs ``out`` (``pred_boxes [B,Q,4]`` cxcywh, ``score_map [B,1,F,F]``)."""
        pred_boxes = out["pred_boxes"].float()
        if not bool(torch.isfinite(pred_boxes).all()):
            raise FloatingPointError("OSTrackActor: the network predicted a non-finite box (training diverged)")
        num_queries = pred_boxes.shape[1]
        pred = box_cxcywh_to_xyxy(pred_boxes.reshape(-1, 4))
        gt = box_xywh_to_xyxy(search_anno.float()).clamp(0.0, 1.0)
        gt = gt[:, None, :].expand(-1, num_queries, -1).reshape(-1, 4)
        try:
            giou, iou = giou_loss(pred, gt)
        except DegenerateBoxesError:
            giou, iou = pred.new_zeros(()), pred.new_zeros(1)
        l1 = F.l1_loss(pred, gt)
        score_map = out["score_map"].float()
        label = search_label.to(score_map.device, score_map.dtype).reshape(score_map.shape)
        location = focal_loss(score_map, label)
        w = self.loss_weights
        loss = w["giou"] * giou + w["l1"] * l1 + w["focal"] * location
        stats = {"Loss/total": loss.item(), "Loss/giou": giou.item(), "Loss/l1": l1.item(),
                 "Loss/location": location.item(), "IoU": iou.detach().mean().item()}
        if self.keep_rate is not None:
            stats["CE/keep_rate"] = float(self.keep_rate)
        return loss, stats
