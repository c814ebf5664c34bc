"""Focal, GIoU and L1 terms of the OSTrack objective on hand-computed inputs."""

from __future__ import annotations

import math

import pytest
import torch

from ltr.actors.ostrack import OSTrackActor
from ltr.models.loss import box_cxcywh_to_xyxy, focal_loss, giou_loss
from ltr.models.loss.box import DegenerateBoxesError, generalized_iou


def test_focal_loss_by_hand() -> None:
    pred = torch.tensor([[[[0.5, 0.2], [0.1, 0.9]]]])
    label = torch.tensor([[[[1.0, 0.5], [0.0, 0.0]]]])
    pos = math.log(0.5) * 0.5 ** 2
    neg = (math.log(0.8) * 0.2 ** 2 * 0.5 ** 4 + math.log(0.9) * 0.1 ** 2 * 1.0 + math.log(0.1) * 0.9 ** 2 * 1.0)
    assert float(focal_loss(pred, label)) == pytest.approx(-(pos + neg), rel=1e-6)
    # two positives: divided by 2
    label2 = torch.tensor([[[[1.0, 0.5], [0.0, 1.0]]]])
    pos2 = pos + math.log(0.9) * 0.1 ** 2
    neg2 = math.log(0.8) * 0.2 ** 2 * 0.5 ** 4 + math.log(0.9) * 0.1 ** 2
    assert float(focal_loss(pred, label2)) == pytest.approx(-(pos2 + neg2) / 2, rel=1e-6)


def test_focal_loss_without_positives_is_the_negative_sum() -> None:
    pred = torch.tensor([[0.3, 0.6]])
    label = torch.tensor([[0.5, 0.0]])
    expected = -(math.log(0.7) * 0.09 * 0.0625 + math.log(0.4) * 0.36)
    assert float(focal_loss(pred, label)) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="shape"):
        focal_loss(pred, label[:, :1])


def test_giou_by_hand() -> None:
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 2.0, 3.0], [0.0, 0.0, 1.0, 1.0]])
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0], [1.0, 1.0, 2.0, 3.0], [2.0, 0.0, 3.0, 1.0]])
    giou, iou = generalized_iou(a, b)
    # pair 0: inter 1, union 7, hull 9 -> 1/7 - 2/9; pair 1: identical; pair 2: disjoint, hull 3x1, union 2
    torch.testing.assert_close(iou, torch.tensor([1 / 7, 1.0, 0.0]))
    torch.testing.assert_close(giou, torch.tensor([1 / 7 - 2 / 9, 1.0, -1 / 3]))
    loss, _ = giou_loss(a, b)
    assert float(loss) == pytest.approx(((1 - (1 / 7 - 2 / 9)) + 0 + (1 + 1 / 3)) / 3, rel=1e-6)
    with pytest.raises(DegenerateBoxesError):
        generalized_iou(torch.tensor([[1.0, 0.0, 0.0, 1.0]]), b[:1])


def _outputs(pred_cxcywh: list[list[float]], score: torch.Tensor) -> dict[str, torch.Tensor]:
    return {"pred_boxes": torch.tensor(pred_cxcywh)[:, None, :], "score_map": score}


def test_actor_objective_by_hand() -> None:
    """2 GIoU + 5 L1 + 1 focal with the GT box clamped to [0, 1] in xyxy."""
    actor = OSTrackActor(torch.nn.Identity(), keep_rate_fn=None)
    # prediction: cx, cy, w, h = 0.5, 0.5, 0.4, 0.4 -> xyxy (0.3, 0.3, 0.7, 0.7)
    # GT x1, y1, w, h = (0.5, 0.5, 0.6, 0.4) -> xyxy (0.5, 0.5, 1.1, 0.9) -> clamped (0.5, 0.5, 1.0, 0.9)
    score = torch.full((1, 1, 2, 2), 0.25)
    label = torch.tensor([[[1.0, 0.0], [0.0, 0.0]]])
    loss, stats = actor.compute_losses(_outputs([[0.5, 0.5, 0.4, 0.4]], score), torch.tensor([[0.5, 0.5, 0.6, 0.4]]),
                                       label)
    inter = 0.2 * 0.2
    union = 0.16 + 0.5 * 0.4 - inter
    hull = 0.7 * 0.6
    giou = inter / union - (hull - union) / hull
    l1 = (0.2 + 0.2 + 0.3 + 0.2) / 4
    focal = -(math.log(0.25) * 0.75 ** 2 + 3 * math.log(0.75) * 0.25 ** 2)
    assert stats["Loss/giou"] == pytest.approx(1 - giou, rel=1e-5)
    assert stats["Loss/l1"] == pytest.approx(l1, rel=1e-5)
    assert stats["Loss/location"] == pytest.approx(focal, rel=1e-5)
    assert stats["IoU"] == pytest.approx(inter / union, rel=1e-5)
    assert float(loss) == pytest.approx(2 * (1 - giou) + 5 * l1 + focal, rel=1e-5)
    assert stats["Loss/total"] == pytest.approx(float(loss))


def test_actor_rejects_non_finite_boxes_and_custom_weights_apply() -> None:
    actor = OSTrackActor(torch.nn.Identity(), loss_weights={"giou": 0.0, "l1": 1.0, "focal": 0.0}, keep_rate_fn=None)
    score = torch.full((1, 1, 2, 2), 0.5)
    label = torch.zeros(1, 2, 2)
    loss, _ = actor.compute_losses(_outputs([[0.5, 0.5, 0.2, 0.2]], score), torch.tensor([[0.4, 0.4, 0.2, 0.2]]),
                                   label)
    assert float(loss) == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(FloatingPointError):
        actor.compute_losses(_outputs([[float("nan"), 0.5, 0.2, 0.2]], score), torch.tensor([[0.4, 0.4, 0.2, 0.2]]),
                             label)
    with pytest.raises(ValueError, match="lacks"):
        OSTrackActor(torch.nn.Identity(), loss_weights={"giou": 1.0})


def test_cxcywh_conversion() -> None:
    torch.testing.assert_close(box_cxcywh_to_xyxy(torch.tensor([[0.5, 0.4, 0.2, 0.6]])),
                               torch.tensor([[0.4, 0.1, 0.6, 0.7]]))
