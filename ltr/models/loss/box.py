"""Box format conversions and the generalised-IoU loss for box-regression heads.

Formats: ``xywh`` = ``[x1, y1, w, h]``, ``cxcywh`` = ``[cx, cy, w, h]``, ``xyxy`` = ``[x1, y1, x2, y2]``; all
``[..., 4]`` tensors in any consistent unit (the OSTrack actor uses fractions of the search crop side).
"""

from __future__ import annotations

import torch

__all__ = ["box_cxcywh_to_xyxy", "box_xywh_to_xyxy", "generalized_iou", "giou_loss", "DegenerateBoxesError"]


class DegenerateBoxesError(ValueError):
    """A box with ``x2 < x1`` or ``y2 < y1`` was given to the generalised IoU."""


def box_cxcywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=-1)


def box_xywh_to_xyxy(boxes: torch.Tensor) -> torch.Tensor:
    x, y, w, h = boxes.unbind(-1)
    return torch.stack([x, y, x + w, y + h], dim=-1)


def generalized_iou(boxes1: torch.Tensor, boxes2: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Element-wise ``(GIoU, IoU)`` of two ``[N, 4]`` xyxy box sets (pairs ``i`` with ``i``).

    ``GIoU = IoU - (|C| - |A u B|) / |C|`` with ``C`` the smallest box enclosing both. Raises
    :class:`DegenerateBoxesError` if a box has ``x2 < x1`` or ``y2 < y1`` (zero-size boxes are allowed).
    """
    if not bool((boxes1[:, 2:] >= boxes1[:, :2]).all()) or not bool((boxes2[:, 2:] >= boxes2[:, :2]).all()):
        raise DegenerateBoxesError("generalized_iou: a box has x2 < x1 or y2 < y1")
    area1 = (boxes1[:, 2] - boxes1[:, 0]) * (boxes1[:, 3] - boxes1[:, 1])
    area2 = (boxes2[:, 2] - boxes2[:, 0]) * (boxes2[:, 3] - boxes2[:, 1])
    lt = torch.maximum(boxes1[:, :2], boxes2[:, :2])
    rb = torch.minimum(boxes1[:, 2:], boxes2[:, 2:])
    inter = (rb - lt).clamp(min=0).prod(dim=-1)
    union = area1 + area2 - inter
    iou = inter / union
    lt_c = torch.minimum(boxes1[:, :2], boxes2[:, :2])
    rb_c = torch.maximum(boxes1[:, 2:], boxes2[:, 2:])
    area_c = (rb_c - lt_c).clamp(min=0).prod(dim=-1)
    return iou - (area_c - union) / area_c, iou


def giou_loss(pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(mean(1 - GIoU), IoU per pair)`` of ``[N, 4]`` xyxy predictions against targets."""
    giou, iou = generalized_iou(pred, target)
    return (1 - giou).mean(), iou
