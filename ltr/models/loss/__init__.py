"""Training objectives shared by tracker families (one module per kind of loss)."""

from ltr.models.loss.box import box_cxcywh_to_xyxy, box_xywh_to_xyxy, generalized_iou, giou_loss
from ltr.models.loss.focal import focal_loss

__all__ = ["box_cxcywh_to_xyxy", "box_xywh_to_xyxy", "generalized_iou", "giou_loss", "focal_loss"]
