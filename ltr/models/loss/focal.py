"""Penalty-reduced pixel-wise focal loss (CenterNet) for score maps trained against Gaussian centre labels."""

from __future__ import annotations

import torch

__all__ = ["focal_loss"]


def focal_loss(pred: torch.Tensor, label: torch.Tensor, alpha: float = 2.0, beta: float = 4.0) -> torch.Tensor:
    """CenterNet focal loss of a score map ``pred`` (probabilities) against a Gaussian ``label`` of the same shape.

    Positives are the cells where ``label == 1`` (the centre cells), everything else is a negative down-weighted by
    ``(1 - label)^beta``, so cells near the centre are punished less:

    ``loss = -( sum_pos log(p) (1-p)^alpha + sum_neg log(1-p) p^alpha (1-label)^beta ) / num_pos``

    summed over the whole batch and divided by the number of positive cells of the whole batch (``-sum_neg`` alone if
    there is none). ``pred`` is clamped to ``>= 1e-12`` first (the network already clamps it to
    ``[1e-4, 1 - 1e-4]``).
    """
    if pred.shape != label.shape:
        raise ValueError(f"focal_loss: pred {tuple(pred.shape)} and label {tuple(label.shape)} differ in shape")
    pred = pred.clamp(min=1e-12)
    label = label.to(pred.dtype)
    pos = label.eq(1).to(pred.dtype)
    neg = label.lt(1).to(pred.dtype)
    neg_weights = torch.pow(1 - label, beta)
    pos_loss = (torch.log(pred) * torch.pow(1 - pred, alpha) * pos).sum()
    neg_loss = (torch.log(1 - pred) * torch.pow(pred, alpha) * neg_weights * neg).sum()
    num_pos = pos.sum()
    if num_pos == 0:
        return -neg_loss
    return -(pos_loss + neg_loss) / num_pos
