"""OSTrack's center head: score, size and offset maps over the search token grid, and the box decoding.

Why a fully convolutional head with a decoding function: the box is read at the arg-max cell of the score map, so the
tracker can re-decode with a Hann-windowed score map (:func:`cal_bbox` is public for that) while training decodes the
raw map. Key names (``conv{1..4}_{ctr,offset,size}.0/.1``, ``conv5_*``) are those of the released checkpoints.

Public API::

    head = CenterHead(in_channels=768, channels=256, feat_size=16)
    score_map, size_map, offset_map, boxes = head(feat)   # feat (B, C, F, F); boxes (B, 4) normalised cx,cy,w,h
    cal_bbox(score_map, size_map, offset_map) -> (B, 4)    # decode any (e.g. windowed) score map
"""

from __future__ import annotations

import torch
from torch import nn

from ltr.models.layers.blocks import conv_bn_relu

__all__ = ["CenterHead", "cal_bbox", "SCORE_CLAMP"]

SCORE_CLAMP = 1e-4  # score and size maps are sigmoid outputs clamped to [1e-4, 1 - 1e-4]


def _clamped_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return torch.clamp(torch.sigmoid(x), min=SCORE_CLAMP, max=1.0 - SCORE_CLAMP)


def cal_bbox(score_map: torch.Tensor, size_map: torch.Tensor, offset_map: torch.Tensor) -> torch.Tensor:
    """Decode ``(B, 4)`` boxes ``(cx, cy, w, h)`` normalised to the search crop side.

    Args:
        score_map: ``(B, 1, F, F)``; its row-major arg-max cell ``(y, x)`` is the centre cell.
        size_map: ``(B, 2, F, F)`` width, height as fractions of the crop side.
        offset_map: ``(B, 2, F, F)`` x, y sub-cell offsets in cells.

    ``cx = (x + ox) / F``, ``cy = (y + oy) / F`` (no +0.5 cell-centre term: the offset absorbs it), ``w, h`` read at
    the same cell.
    """
    b, _, fh, fw = score_map.shape
    if fh != fw:
        raise ValueError(f"score map must be square, got {fh}x{fw}")
    feat = fw
    idx = score_map.flatten(1).argmax(dim=1, keepdim=True)  # (B, 1)
    idx_y = torch.div(idx, feat, rounding_mode="floor").to(score_map.dtype)
    idx_x = (idx % feat).to(score_map.dtype)
    gather_idx = idx.unsqueeze(1).expand(-1, 2, -1)  # (B, 2, 1)
    size = size_map.flatten(2).gather(2, gather_idx).squeeze(-1)  # (B, 2)
    offset = offset_map.flatten(2).gather(2, gather_idx).squeeze(-1)  # (B, 2)
    return torch.cat([(idx_x + offset[:, :1]) / feat, (idx_y + offset[:, 1:]) / feat, size], dim=1)


class CenterHead(nn.Module):
    """Three conv towers ``C -> ch -> ch/2 -> ch/4 -> ch/8`` (conv3x3-BN-ReLU) + 1x1 conv to 1 / 2 / 2 channels."""

    def __init__(self, in_channels: int = 768, channels: int = 256, feat_size: int = 16) -> None:
        super().__init__()
        self.feat_size = int(feat_size)
        widths = [in_channels, channels, channels // 2, channels // 4, channels // 8]
        # Registration order ctr, offset, size = the released state_dict's key order.
        for branch, k in (("ctr", 1), ("offset", 2), ("size", 2)):
            for i in range(4):
                setattr(self, f"conv{i + 1}_{branch}", conv_bn_relu(widths[i], widths[i + 1], kernel_size=3,
                                                                    padding=1))
            setattr(self, f"conv5_{branch}", nn.Conv2d(widths[4], k, kernel_size=1))
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def _tower(self, x: torch.Tensor, branch: str) -> torch.Tensor:
        for i in range(1, 6):
            x = getattr(self, f"conv{i}_{branch}")(x)
        return x

    def forward(self, feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(score_map (B,1,F,F), size_map (B,2,F,F), offset_map (B,2,F,F), boxes (B,4))`` from ``(B,C,F,F)``."""
        score_map = _clamped_sigmoid(self._tower(feat, "ctr"))
        size_map = _clamped_sigmoid(self._tower(feat, "size"))
        offset_map = self._tower(feat, "offset")
        return score_map, size_map, offset_map, cal_bbox(score_map, size_map, offset_map)
