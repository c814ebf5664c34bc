"""ATOM's IoU predictor (IoU-Net with target-conditioned modulation).

Why this shape: ATOM estimates the target box by maximising the predicted IoU of candidate boxes. A *reference*
branch turns the target's appearance in the first frame into channel-wise modulation vectors; a *test* branch computes
features of the current frame; each proposal box is pooled with PrRoIPool from the modulated test features and mapped
to one IoU score. The submodule names and their registration order below are fixed, because checkpoints trained by
the original implementation (which users have) are loaded strictly by key.

Boxes: all public inputs are ``[x, y, w, h]`` in image pixels of the crop the features were computed on; PrRoIPool
itself receives ``[batch_index, x1, y1, x2, y2]`` rois built here.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ltr.models.layers.blocks import LinearBlock, conv_bn_relu
from prroi_pooling import PrRoIPool2D

__all__ = ["AtomIoUNet", "xywh_to_rois"]


def xywh_to_rois(boxes: torch.Tensor) -> torch.Tensor:
    """``[B, N, 4]`` xywh boxes -> ``[B*N, 5]`` rois ``[b, x1, y1, x2, y2]`` with ``b`` the batch index."""
    if boxes.dim() != 3 or boxes.shape[-1] != 4:
        raise ValueError(f"boxes must be [B, N, 4] xywh, got shape {tuple(boxes.shape)}")
    b, n = boxes.shape[:2]
    idx = torch.arange(b, dtype=boxes.dtype, device=boxes.device).reshape(b, 1, 1).expand(b, n, 1)
    xyxy = torch.cat((boxes[..., :2], boxes[..., :2] + boxes[..., 2:]), dim=-1)
    return torch.cat((idx, xyxy), dim=-1).reshape(b * n, 5)


class AtomIoUNet(nn.Module):
    """IoU predictor over two backbone levels (ResNet layer2 @ stride 8 and layer3 @ stride 16).

    Args:
        input_dim: channels of the two backbone feature maps (ResNet-18: (128, 256); ResNet-50: (512, 1024)).
        pred_input_dim: channels of the modulated test features that are pooled per proposal.
        pred_inter_dim: width of the per-level fully connected layers before the IoU output.
    """

    def __init__(self, input_dim: Sequence[int] = (128, 256), pred_input_dim: Sequence[int] = (256, 256),
                 pred_inter_dim: Sequence[int] = (256, 256)) -> None:
        super().__init__()
        # Registration order matters for state_dict compatibility: keep it exactly as listed.
        self.conv3_1r = conv_bn_relu(input_dim[0], 128, kernel_size=3, padding=1)
        self.conv3_1t = conv_bn_relu(input_dim[0], 256, kernel_size=3, padding=1)
        self.conv3_2t = conv_bn_relu(256, pred_input_dim[0], kernel_size=3, padding=1)
        self.prroi_pool3r = PrRoIPool2D(3, 3, 1 / 8)
        self.prroi_pool3t = PrRoIPool2D(5, 5, 1 / 8)
        self.fc3_1r = conv_bn_relu(128, 256, kernel_size=3, padding=0)

        self.conv4_1r = conv_bn_relu(input_dim[1], 256, kernel_size=3, padding=1)
        self.conv4_1t = conv_bn_relu(input_dim[1], 256, kernel_size=3, padding=1)
        self.conv4_2t = conv_bn_relu(256, pred_input_dim[1], kernel_size=3, padding=1)
        self.prroi_pool4r = PrRoIPool2D(1, 1, 1 / 16)
        self.prroi_pool4t = PrRoIPool2D(3, 3, 1 / 16)

        self.fc34_3r = conv_bn_relu(256 + 256, pred_input_dim[0], kernel_size=1, padding=0)
        self.fc34_4r = conv_bn_relu(256 + 256, pred_input_dim[1], kernel_size=1, padding=0)

        self.fc3_rt = LinearBlock(pred_input_dim[0], pred_inter_dim[0], 5)
        self.fc4_rt = LinearBlock(pred_input_dim[1], pred_inter_dim[1], 3)

        self.iou_predictor = nn.Linear(pred_inter_dim[0] + pred_inter_dim[1], 1, bias=True)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-normal (fan_in) weights and zero biases for conv/linear; BN weight ~ U[0,1], BN bias 0."""
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, mode="fan_in")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.uniform_(m.weight, 0.0, 1.0)
                nn.init.zeros_(m.bias)

    # ------------------------------------------------------------------ three stages (used by the tracker)
    def get_modulation(self, feat: Sequence[torch.Tensor], bb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Reference features ``[l2 [B,C2,H,W], l3 [B,C3,h,w]]`` and target boxes ``bb [B,4]`` xywh ->
        modulation vectors ``([B, pred_input_dim[0], 1, 1], [B, pred_input_dim[1], 1, 1])``."""
        feat2, feat3 = feat
        if bb.dim() != 2 or bb.shape[-1] != 4:
            raise ValueError(f"bb must be [B, 4] xywh, got shape {tuple(bb.shape)}")
        rois = xywh_to_rois(bb.reshape(-1, 1, 4).to(feat2.dtype))

        pooled2 = self.prroi_pool3r(self.conv3_1r(feat2), rois)  # [B,128,3,3]
        pooled3 = self.prroi_pool4r(self.conv4_1r(feat3), rois)  # [B,256,1,1]
        joint = torch.cat((self.fc3_1r(pooled2), pooled3), dim=1)  # [B,512,1,1]
        return self.fc34_3r(joint), self.fc34_4r(joint)

    def get_iou_feat(self, feat: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Test-frame features ``[l2, l3]`` -> the two feature maps proposals are pooled from."""
        feat2, feat3 = feat
        return self.conv3_2t(self.conv3_1t(feat2)), self.conv4_2t(self.conv4_1t(feat3))

    def predict_iou(self, modulation: Sequence[torch.Tensor], feat: Sequence[torch.Tensor],
                    proposals: torch.Tensor) -> torch.Tensor:
        """Predicted IoU ``[B, N]`` for proposals ``[B, N, 4]`` xywh given per-sample modulation and IoU features."""
        mod2, mod3 = modulation
        feat2, feat3 = feat
        b = feat2.shape[0]
        if proposals.dim() != 3 or proposals.shape[0] != b or proposals.shape[-1] != 4:
            raise ValueError(f"proposals must be [B={b}, N, 4] xywh, got shape {tuple(proposals.shape)}")
        n = proposals.shape[1]

        feat2 = feat2 * mod2.reshape(b, -1, 1, 1)
        feat3 = feat3 * mod3.reshape(b, -1, 1, 1)
        rois = xywh_to_rois(proposals.to(feat2.dtype))

        fc2 = self.fc3_rt(self.prroi_pool3t(feat2, rois))  # [B*N, inter0]
        fc3 = self.fc4_rt(self.prroi_pool4t(feat3, rois))  # [B*N, inter1]
        iou = self.iou_predictor(torch.cat((fc2, fc3), dim=1))
        return iou.reshape(b, n)

    # ------------------------------------------------------------------ training forward
    def forward(self, feat_ref: Sequence[torch.Tensor], feat_test: Sequence[torch.Tensor], bb_ref: torch.Tensor,
                proposals_test: torch.Tensor) -> torch.Tensor:
        """Training pass.

        Args:
            feat_ref: per level ``[num_ref * B, C, H, W]`` (image-major: index = image * B + sequence).
            feat_test: per level ``[num_test * B, C, H, W]``.
            bb_ref: ``[num_ref, B, 4]`` xywh reference boxes; only the first reference image is used.
            proposals_test: ``[num_test, B, N, 4]`` xywh proposals.

        Returns:
            predicted IoU ``[num_test, B, N]``.
        """
        if bb_ref.dim() == 2:
            bb_ref = bb_ref.unsqueeze(0)
        if proposals_test.dim() == 3:
            proposals_test = proposals_test.unsqueeze(0)
        num_ref, batch = bb_ref.shape[:2]
        num_test = proposals_test.shape[0]

        ref_first = [f.reshape(num_ref, batch, *f.shape[-3:])[0] for f in feat_ref]
        modulation = self.get_modulation(ref_first, bb_ref[0])
        # Same modulation for each test image of a sequence: repeat image-major to match feat_test's layout.
        modulation = [m.reshape(1, batch, -1).expand(num_test, batch, m.shape[1]).reshape(num_test * batch, -1)
                      for m in modulation]

        iou_feat = self.get_iou_feat(feat_test)
        proposals = proposals_test.reshape(num_test * batch, -1, 4)
        return self.predict_iou(modulation, iou_feat, proposals).reshape(num_test, batch, -1)
